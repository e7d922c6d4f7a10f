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
    /// A forced drop's reason (PROTOCOL.md §6.8), or an `error` while nothing is outstanding: the connection
    /// closes next. A forced-drop `error` is told from a reply by its text, so the request at the head of the
    /// FIFO stays outstanding and is re-sent, checked or failed like the others after the drop (§7.2).
    case unsolicitedError
    /// A frame a server never sends after the handshake (`hello`, `challenge`, `established`…).
    case unexpected

    /// The role of `frame`, given whether any request is outstanding.
    init(of frame: ProtocolMessage, hasOutstandingRequests: Bool) {
        switch frame {
        case .pong: self = .pong
        case .serverInfo: self = .serverInfo
        case .channelMsg, .whisper: self = .delivery
        case .error: self = hasOutstandingRequests && DropReason(errorFrame: frame) == nil ? .reply : .unsolicitedError
        case .joined, .ack, .presence, .channelList, .machineList, .userList, .inviteList, .inviteToken, .history:
            self = hasOutstandingRequests ? .reply : .unexpected
        default: self = .unexpected
        }
    }
}
