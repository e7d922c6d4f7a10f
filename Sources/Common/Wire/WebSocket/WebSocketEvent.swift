/// What a `WebSocketConnection` reports from received bytes.
package enum WebSocketEvent: Hashable, Sendable {
    /// A complete binary message.
    case binary([UInt8])
    /// A complete text message, already validated as UTF-8.
    case text(String)
    /// A pong arrived (its pings are answered automatically and not reported).
    case pong([UInt8])
    /// The close handshake finished: the peer's code (nil when its close frame had none) and
    /// reason. The connection is closed; flush the pending output, then close the socket.
    case closed(WebSocketCloseCode?, reason: String)
    /// The peer broke the protocol. A close frame with `error.closeCode` is queued (unless one
    /// was already sent); flush the pending output, then close the socket.
    case failed(WebSocketError)
}
