/// Channel visibility tier (PROTOCOL.md §3.5), wire indices 0, 1, 2.
package enum Visibility: UInt32, CaseIterable, Hashable, Sendable {
    case `public` = 0
    case unlisted = 1
    case `private` = 2

    /// The JSON name: `public`, `unlisted` or `private`.
    package var name: String {
        switch self {
        case .public: "public"
        case .unlisted: "unlisted"
        case .private: "private"
        }
    }

    package init?(name: String) {
        guard let match = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = match
    }
}

/// Reserved for end-to-end encryption: relayed and stored verbatim, never produced in v1.
package struct Envelope: Hashable, Sendable {
    package var ciphertext: [UInt8]
    package var keyID: String?

    package init(ciphertext: [UInt8], keyID: String?) {
        self.ciphertext = ciphertext
        self.keyID = keyID
    }
}

/// A message body.
package enum Payload: Hashable, Sendable {
    case plain(String)
    case encrypted(Envelope)
}

/// One entry of `channel_list`.
package struct ChannelInfo: Hashable, Sendable {
    package var name: String
    package var visibility: Visibility
    /// ACL membership, not live subscription.
    package var member: Bool

    package init(name: String, visibility: Visibility, member: Bool) {
        self.name = name
        self.visibility = visibility
        self.member = member
    }
}

/// One entry of `machine_list`. `pubkey` is already b64u text on the wire.
package struct MachineInfo: Hashable, Sendable {
    package var name: String
    package var pubkey: String
    /// RFC 3339, UTC.
    package var addedAt: String

    package init(name: String, pubkey: String, addedAt: String) {
        self.name = name
        self.pubkey = pubkey
        self.addedAt = addedAt
    }
}

/// One entry of `invite_list`.
package struct InviteInfo: Hashable, Sendable {
    package var token: String
    /// `nil` means unlimited.
    package var usesRemaining: Int64?
    /// RFC 3339; `nil` means never.
    package var expiresAt: String?

    package init(token: String, usesRemaining: Int64?, expiresAt: String?) {
        self.token = token
        self.usesRemaining = usesRemaining
        self.expiresAt = expiresAt
    }
}

/// One stored channel message, as `history` returns it.
package struct HistoryMessage: Hashable, Sendable {
    package var from: SessionPath
    /// Server receive time, Unix epoch milliseconds.
    package var tsMs: Int64
    package var payload: Payload

    package init(from: SessionPath, tsMs: Int64, payload: Payload) {
        self.from = from
        self.tsMs = tsMs
        self.payload = payload
    }
}

/// The error a server sends in an `error` frame (PROTOCOL.md §3.5). A wire value, not a Swift `Error`.
package enum ProtocolError: Hashable, Sendable {
    case versionMismatch(ours: UInt32, theirs: UInt32)
    case malformedFrame(String)
    case unauthorized(String)
    case notFound(String)
    case `internal`(String)

    /// The JSON kind name (§4.4).
    package var kindName: String {
        switch self {
        case .versionMismatch: "version_mismatch"
        case .malformedFrame: "malformed_frame"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .internal: "internal"
        }
    }

    /// Upstream's human wording, e.g. `not found: channel `ops``.
    package var displayText: String {
        switch self {
        case let .versionMismatch(ours, theirs): "incompatible protocol version: ours=\(ours), theirs=\(theirs)"
        case let .malformedFrame(text): "malformed frame: \(text)"
        case let .unauthorized(text): "unauthorized: \(text)"
        case let .notFound(text): "not found: \(text)"
        case let .internal(text): "internal error: \(text)"
        }
    }
}
