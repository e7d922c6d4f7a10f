/// The operator's server-admin allowlist (PROTOCOL.md §6.2, §6.12): usernames, some pinned to a key.
package struct AdminAllowlist: Hashable, Sendable {
    private var pins: [String: String] = [:]
    private var names: Set<String> = []

    package init() {}

    /// Adds `username`; `pinnedKey` (b64u of the raw 32-byte key) restricts who may register the name.
    package mutating func add(_ username: String, pinnedKey: String? = nil) {
        names.insert(username)
        pins[username] = pinnedKey
    }

    /// Admin status is by username only (§6.2).
    package func contains(_ username: String) -> Bool { names.contains(username) }

    /// The key a pinned admin name must be registered with, or `nil` when the name is unpinned or absent.
    package func pinnedKey(for username: String) -> String? { pins[username] }
}

