/// A WebSocket failure: a peer that broke RFC 6455, or a send this connection cannot make.
///
/// A protocol failure carries the close code to send before dropping the connection
/// (`WebSocketConnection` sends it itself).
public struct WebSocketError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: Int
        public let description: String

        private init(_ rawValue: Int, _ description: String) {
            self.rawValue = rawValue
            self.description = description
        }

        /// The peer broke framing or the close handshake (close code 1002).
        public static let protocolViolation = Code(1, "WebSocket protocol violation")
        /// A text message or close reason was not valid UTF-8 (close code 1007).
        public static let invalidUTF8 = Code(2, "invalid UTF-8 in WebSocket text")
        /// A message was larger than the configured cap (close code 1009).
        public static let messageTooLarge = Code(3, "WebSocket message too large")
        /// A send was attempted after the close handshake began.
        public static let connectionClosed = Code(4, "WebSocket connection is closed")
        /// A send's arguments cannot be put in a frame (oversized control payload, reserved close code).
        public static let invalidArgument = Code(5, "invalid WebSocket send")

        public static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        public func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    }

    public var code: Code
    /// What exactly was wrong, e.g. `"RSV bits 0x40 set without a negotiated extension"`.
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    /// The close code that reports this failure to the peer.
    public var closeCode: WebSocketCloseCode {
        switch code {
        case .invalidUTF8: .invalidPayloadData
        case .messageTooLarge: .messageTooBig
        case .protocolViolation: .protocolError
        default: .internalError
        }
    }

    public var description: String { "\(code): \(detail)" }
}
