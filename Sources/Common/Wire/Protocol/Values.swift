/// Channel visibility tier (PROTOCOL.md §3.5), wire indices 0, 1, 2.
public enum Visibility: UInt32, CaseIterable, Hashable, Sendable {
    case `public` = 0
    case unlisted = 1
    case `private` = 2

    /// The JSON name: `public`, `unlisted` or `private`.
    public var name: String {
        switch self {
        case .public: "public"
        case .unlisted: "unlisted"
        case .private: "private"
        }
    }

    public init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

/// Reserved for end-to-end encryption: relayed and stored verbatim, never produced in v1.
public struct Envelope: Hashable, Sendable {
    public var ciphertext: [UInt8]
    public var keyID: String?

    public init(ciphertext: [UInt8], keyID: String?) {
        self.ciphertext = ciphertext
        self.keyID = keyID
    }
}

/// A message body.
public enum Payload: Hashable, Sendable {
    case plain(String)
    case encrypted(Envelope)
}

/// One entry of `channel_list`.
public struct ChannelInfo: Hashable, Sendable {
    public var name: String
    public var visibility: Visibility
    /// ACL membership, not live subscription.
    public var member: Bool

    public init(name: String, visibility: Visibility, member: Bool) {
        self.name = name
        self.visibility = visibility
        self.member = member
    }
}

/// One entry of `machine_list`. `pubkey` is already b64u text on the wire.
public struct MachineInfo: Hashable, Sendable {
    public var name: String
    public var pubkey: String
    /// RFC 3339, UTC.
    public var addedAt: String

    public init(name: String, pubkey: String, addedAt: String) {
        self.name = name
        self.pubkey = pubkey
        self.addedAt = addedAt
    }
}

/// One entry of `invite_list`.
public struct InviteInfo: Hashable, Sendable {
    public var token: String
    /// `nil` means unlimited.
    public var usesRemaining: Int64?
    /// RFC 3339; `nil` means never.
    public var expiresAt: String?

    public init(token: String, usesRemaining: Int64?, expiresAt: String?) {
        self.token = token
        self.usesRemaining = usesRemaining
        self.expiresAt = expiresAt
    }
}

/// One stored channel message, as `history` returns it.
public struct HistoryMessage: Hashable, Sendable {
    public var from: SessionPath
    /// Server receive time, Unix epoch milliseconds.
    public var tsMs: Int64
    public var payload: Payload

    public init(from: SessionPath, tsMs: Int64, payload: Payload) {
        self.from = from
        self.tsMs = tsMs
        self.payload = payload
    }
}

/// The error a server sends in an `error` frame (PROTOCOL.md §3.5). A wire value, not a Swift `Error`.
public enum ProtocolError: Hashable, Sendable {
    case versionMismatch(ours: UInt32, theirs: UInt32)
    case malformedFrame(String)
    case unauthorized(String)
    case notFound(String)
    case `internal`(String)

    /// The JSON kind name (§4.4).
    public var kindName: String {
        switch self {
        case .versionMismatch: "version_mismatch"
        case .malformedFrame: "malformed_frame"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .internal: "internal"
        }
    }

    /// Upstream's human wording, e.g. `not found: channel `ops``.
    public var displayText: String {
        switch self {
        case let .versionMismatch(ours, theirs): "incompatible protocol version: ours=\(ours), theirs=\(theirs)"
        case let .malformedFrame(text): "malformed frame: \(text)"
        case let .unauthorized(text): "unauthorized: \(text)"
        case let .notFound(text): "not found: \(text)"
        case let .internal(text): "internal error: \(text)"
        }
    }
}
