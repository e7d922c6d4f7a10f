import ConclaveWire

/// How a frame from the server relates to the requests outstanding on its connection (PROTOCOL.md §7.2):
/// there are no request ids, the server answers every request exactly once and in order.
enum ServerFrameRole: Hashable, Sendable {
    /// Answers the link's own `ping`; never in the request FIFO.
    case pong
    /// `server_info`: unsolicited, normally right after `established`.
    case serverInfo
    /// A `channel_msg` or `whisper` from another session: never a reply.
    case delivery
    /// Completes the request at the head of the FIFO.
    case reply
    /// An `error` while nothing is outstanding: the reason for a forced drop, the connection closes next.
    case unsolicitedError
    /// A frame a server never sends after the handshake (`hello`, `challenge`, `established`…).
    case unexpected

    /// The role of `frame`, given whether any request is outstanding.
    init(of frame: ProtocolMessage, hasOutstandingRequests: Bool) {
        switch frame {
        case .pong: self = .pong
        case .serverInfo: self = .serverInfo
        case .channelMsg, .whisper: self = .delivery
        case .error: self = hasOutstandingRequests ? .reply : .unsolicitedError
        case .joined, .ack, .presence, .channelList, .machineList, .userList, .inviteList, .inviteToken, .history:
            self = hasOutstandingRequests ? .reply : .unexpected
        default: self = .unexpected
        }
    }
}
