/// Which end of a WebSocket connection this side is; it decides who masks (RFC 6455 §5.1).
package enum WebSocketRole: Hashable, Sendable {
    /// Masks every frame it sends and refuses masked frames from the server.
    case client
    /// Sends unmasked frames and refuses unmasked frames from the client.
    case server
}
