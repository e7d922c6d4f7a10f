import ConclaveWire

/// One connection as the I/O layer numbers it, from TCP accept to close. Never reuse a number while the
/// core runs: events for a closed connection are ignored by number.
package struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    package var rawValue: UInt64

    package init(_ rawValue: UInt64) { self.rawValue = rawValue }

    package var description: String { "#\(rawValue)" }
}

/// A frame ready for a connection's outbound queue: the value, and its encoding, made once per frame
/// and shared by every recipient of a fan-out.
package struct OutboundFrame: Hashable, Sendable {
    package var message: ProtocolMessage
    package var bytes: [UInt8]

    package init(message: ProtocolMessage, bytes: [UInt8]) {
        self.message = message
        self.bytes = bytes
    }
}

/// What the I/O layer must do, in order, after feeding the core an event.
package enum ServerAction: Hashable, Sendable {
    /// Append `frame` to the connection's outbound queue as one binary WebSocket message. Report it with
    /// ``ServerCore/wrote(frames:bytes:on:)`` once written, so that the queue bound stays exact.
    case send(ConnectionID, OutboundFrame)
    /// Flush what is queued, send a WebSocket Close with no status code, and close the socket. The core has
    /// already forgotten the connection; further events for it are ignored.
    case close(ConnectionID)
}
