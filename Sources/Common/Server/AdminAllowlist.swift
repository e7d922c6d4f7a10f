/// The operator's server-admin allowlist (PROTOCOL.md §6.2, §6.12): usernames, some pinned to a key.
public struct AdminAllowlist: Hashable, Sendable {
    private var pins: [String: String] = [:]
    private var names: Set<String> = []

    public init() {}

    /// Parses `--admin` values (and the comma-separated `CONCLAVE_ADMINS`), each `USER` or `USER=PUBKEY`,
    /// where `PUBKEY` is the b64u text of a raw 32-byte key as `conclave-keygen` prints it.
    public init(specs: some Sequence<String>) throws(AdminSpecError) {
        for spec in specs {
            let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(parts[0])
            guard SessionPath.isValidComponent(name) else { throw AdminSpecError(.invalidUsername, spec: spec) }
            guard parts.count == 2 else {
                add(name)
                continue
            }
            let key = String(parts[1])
            guard let bytes = try? Base64URL.decode(key), bytes.count == 32 else {
                throw AdminSpecError(.invalidKey, spec: spec)
            }
            add(name, pinnedKey: key)
        }
    }

    /// Adds `username`; `pinnedKey` (b64u of the raw 32-byte key) restricts who may register the name.
    public mutating func add(_ username: String, pinnedKey: String? = nil) {
        names.insert(username)
        pins[username] = pinnedKey
    }

    /// Admin status is by username only (§6.2).
    public func contains(_ username: String) -> Bool { names.contains(username) }

    /// The key a pinned admin name must be registered with, or `nil` when the name is unpinned or absent.
    public func pinnedKey(for username: String) -> String? { pins[username] }

    /// Every admin username, sorted (for the start-up log).
    public var usernames: [String] { names.sorted() }
}

/// An `--admin` value that is not `USER` or `USER=PUBKEY`.
public struct AdminSpecError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable {
        public var rawValue: Int
        public init(rawValue: Int) { self.rawValue = rawValue }
        /// The user part is empty or contains `/` (§5.2).
        public static let invalidUsername = Code(rawValue: 1)
        /// The key part is not unpadded base64url of exactly 32 bytes.
        public static let invalidKey = Code(rawValue: 2)
    }

    public var code: Code
    /// The value as given. It holds at most a public key, never a secret.
    public var spec: String

    public init(_ code: Code, spec: String) {
        self.code = code
        self.spec = spec
    }

    public var description: String {
        switch code {
        case .invalidUsername: "invalid admin `\(spec)`: the username must be non-empty and contain no `/`"
        default: "invalid admin `\(spec)`: the public key must be base64url of 32 bytes (as conclave-keygen prints it)"
        }
    }
}
