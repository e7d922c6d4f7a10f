import ConclaveWire

/// What becomes of a request that was outstanding when its connection dropped (TOOLS.md "The link").
enum RequestRetryPolicy: Hashable, Sendable {
    /// Sent again after the reconnect: asking twice changes nothing (`join`, `leave`, `who`, lists,
    /// `read_since`).
    case resend
    /// A post: after the re-join, the channel's history tells whether it arrived; re-sent only if not.
    case reconcile
    /// A whisper: nothing records it, so it cannot be checked and must not be repeated blindly.
    case failUnverifiable
    /// Anything else (admin operations, registration…): repeating could act twice; the caller decides.
    case fail

    /// The policy for `request`.
    init(for request: ProtocolMessage) {
        switch request {
        case .join, .leave, .who, .listChannels, .listMachines, .listUsers, .readSince: self = .resend
        case .channelMsg: self = .reconcile
        case .whisper: self = .failUnverifiable
        default: self = .fail
        }
    }

    /// The reply text for a request this policy fails.
    static let whisperLostText =
        "connection lost before the server confirmed the whisper; it may not have been delivered"
    static let connectionLostText = "connection lost; retry"
    static let postLostText =
        "connection lost before the server confirmed the post; it may not have been delivered"
}
