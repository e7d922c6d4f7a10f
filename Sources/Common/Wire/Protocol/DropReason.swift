/// Why the server force-dropped a session (PROTOCOL.md §6.8). The `text` goes to the client in
/// `error: unauthorized` just before the close; a client tells that error from a reply by its text.
package enum DropReason: String, CaseIterable, Hashable, Sendable {
    case superseded = "superseded"
    case idleTimeout = "idle_timeout"
    case slowConsumer = "slow_consumer"
    case userRemoved = "user_removed"
    case machineRevoked = "machine_revoked"
    case terminated = "terminated"

    /// Upstream's reason text.
    package var text: String {
        switch self {
        case .superseded: "session superseded by a newer connection for the same session path"
        case .idleTimeout: "idle timeout: no heartbeat"
        case .slowConsumer: "slow consumer: outbound queue overflowed"
        case .userRemoved: "user removed from this server"
        case .machineRevoked: "machine key revoked"
        case .terminated: "session terminated"
        }
    }

    /// The reason whose `error` frame `frame` is, if it is one: an `unauthorized` error with one of the texts
    /// above. No request is ever refused with these texts, so such an error is never a reply.
    package init?(errorFrame frame: ProtocolMessage) {
        guard case .error(.unauthorized(let text)) = frame,
              let reason = Self.allCases.first(where: { $0.text == text })
        else { return nil }
        self = reason
    }
}
