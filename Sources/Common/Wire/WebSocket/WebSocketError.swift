/// A WebSocket failure: a peer that broke RFC 6455, or a send this connection cannot make.
///
/// A protocol failure carries the close code to send before dropping the connection
/// (`WebSocketConnection` sends it itself).
package struct WebSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: Int
        package let description: String

        private init(_ rawValue: Int, _ description: String) {
            self.rawValue = rawValue
            self.description = description
        }

        /// The peer broke framing or the close handshake (close code 1002).
        package static let protocolViolation = Code(1, "WebSocket protocol violation")
        /// A text message or close reason was not valid UTF-8 (close code 1007).
        package static let invalidUTF8 = Code(2, "invalid UTF-8 in WebSocket text")
        /// A message was larger than the configured cap (close code 1009).
        package static let messageTooLarge = Code(3, "WebSocket message too large")
        /// A send was attempted after the close handshake began.
        package static let connectionClosed = Code(4, "WebSocket connection is closed")
        /// A send's arguments cannot be put in a frame (oversized control payload, reserved close code).
        package static let invalidArgument = Code(5, "invalid WebSocket send")

        package static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        package func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    }

    package var code: Code
    /// What exactly was wrong, e.g. `"RSV bits 0x40 set without a negotiated extension"`.
    package var detail: String

    package init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The close code that reports this failure to the peer.
    package var closeCode: WebSocketCloseCode {
        switch code {
        case .invalidUTF8: .invalidPayloadData
        case .messageTooLarge: .messageTooBig
        case .protocolViolation: .protocolError
        default: .internalError
        }
    }

    package var description: String { "\(code): \(detail)" }
}
