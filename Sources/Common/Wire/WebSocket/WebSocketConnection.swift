/// A sans-I/O WebSocket endpoint (RFC 6455) for either role, after the HTTP upgrade.
///
/// Feed it what the socket reads with `receive(_:)`, act on each event `nextEvent()` returns, and
/// write what `takeOutput()` returns. It answers pings, echoes the peer's close, and on a protocol violation
/// queues the matching close frame itself. No extension or subprotocol is ever negotiated, so RSV
/// bits and reserved opcodes are violations.
///
/// An I/O loop:
/// ```
/// connection.receive(bytesRead)
/// while let event = connection.nextEvent() { ... }
/// write(connection.takeOutput())
/// if connection.isClosed { close the socket once the output is flushed }
/// ```
package struct WebSocketConnection: Sendable {
    /// Where the close handshake stands.
    package enum State: Hashable, Sendable {
        /// Messages flow both ways.
        case open
        /// We sent a close and are waiting for the peer's; received messages are still delivered.
        case closing
        /// Nothing more is sent or accepted.
        case closed
    }

    /// RFC 6455 does not bound messages; PROTOCOL.md §2.4 caps them at 16 MiB.
    package static let defaultMaximumMessageSize = 16 * 1024 * 1024

    package let role: WebSocketRole
    /// The largest message accepted or sent, in payload bytes over all its fragments. It may change between
    /// messages (a server allows little before its peer authenticates); a message under way is held to the new
    /// value from its next frame.
    package var maximumMessageSize: Int
    package private(set) var state: State = .open
    private var parser: WebSocketFrameParser
    private var output: [UInt8] = []
    private var maskingKeys = WebSocketMaskingKeySource()
    /// The data message being reassembled: its opcode (text or binary) once its first frame arrived.
    private var messageOpcode: WebSocketOpcode?
    private var message: [UInt8] = []
    private var utf8 = UTF8Validator()
    /// Payload of the control frame being read (at most 125 bytes).
    private var controlPayload: [UInt8] = []

    package init(role: WebSocketRole, maximumMessageSize: Int = Self.defaultMaximumMessageSize) {
        self.role = role
        self.maximumMessageSize = maximumMessageSize
        parser = WebSocketFrameParser(receiver: role)
    }

    /// Whether the connection is finished; once the output is flushed the socket can be closed.
    package var isClosed: Bool { state == .closed }

    /// Whether `takeOutput()` has bytes to write.
    package var hasPendingOutput: Bool { !output.isEmpty }

    /// How many bytes are queued for the peer, for bounding a slow reader's backlog.
    package var pendingOutputByteCount: Int { output.count }

    /// Hands over every byte queued for the peer so far.
    package mutating func takeOutput() -> [UInt8] {
        var taken: [UInt8] = []
        swap(&taken, &output)
        return taken
    }

    // MARK: Receiving

    /// Adds bytes read from the socket; take what they complete with `nextEvent()`. Bytes after
    /// the connection closed are ignored.
    package mutating func receive(_ bytes: UnsafeRawBufferPointer) {
        guard state != .closed else { return }
        parser.append(bytes)
    }

    /// Adds bytes read from the socket; take what they complete with `nextEvent()`.
    package mutating func receive(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { receive($0) }
    }

    /// The next event from the bytes received so far, or `nil` when more are needed.
    ///
    /// Events come one at a time so that replies queued while handling a message go out before
    /// the close a later protocol violation in the same read queues (Autobahn 3.2, 4.1.3, 5.15).
    package mutating func nextEvent() -> WebSocketEvent? {
        do {
            while state != .closed, let chunk = try parser.nextChunk(dataPayloadLimit: dataPayloadLimit) {
                if let event = try handle(chunk) { return event }
            }
        } catch {
            fail(error)
            return .failed(error)
        }
        return nil
    }

    private var dataPayloadLimit: Int { maximumMessageSize - message.count }

    private mutating func handle(_ chunk: WebSocketFrameChunk) throws(WebSocketError) -> WebSocketEvent? {
        let header = chunk.header
        if header.opcode.isControl {
            if chunk.isFirst { controlPayload.removeAll(keepingCapacity: true) }
            controlPayload.append(contentsOf: chunk.payload)
            return chunk.isLast ? try handleControlFrame(header.opcode) : nil
        }
        if chunk.isFirst { try startDataFrame(header.opcode) }
        guard let opcode = messageOpcode else { return nil }
        if opcode == .text, let invalid = utf8.firstInvalidByte(in: chunk.payload) {
            throw WebSocketError(.invalidUTF8, "text message byte \(message.count + invalid)")
        }
        if message.isEmpty {
            message = chunk.payload
        } else {
            message.append(contentsOf: chunk.payload)
        }
        guard chunk.isLast, header.isFinal else { return nil }
        if opcode == .text, !utf8.isAtCharacterBoundary {
            throw WebSocketError(.invalidUTF8, "text message ends inside a character")
        }
        var completed: [UInt8] = []
        swap(&completed, &message)
        messageOpcode = nil
        return opcode == .text ? .text(String(decoding: completed, as: UTF8.self)) : .binary(completed)
    }

    private mutating func startDataFrame(_ opcode: WebSocketOpcode) throws(WebSocketError) {
        if opcode == .continuation {
            guard messageOpcode != nil else {
                throw WebSocketError(.protocolViolation, "continuation frame without a message to continue")
            }
        } else {
            guard messageOpcode == nil else {
                throw WebSocketError(.protocolViolation, "new \(opcode) frame inside a fragmented message")
            }
            messageOpcode = opcode
            utf8 = UTF8Validator()
        }
    }

    private mutating func handleControlFrame(_ opcode: WebSocketOpcode) throws(WebSocketError) -> WebSocketEvent? {
        switch opcode {
        case .ping:
            if state == .open {
                controlPayload.withUnsafeBytes { queueFrame(opcode: .pong, payload: $0) }
            }
            return nil
        case .pong:
            return .pong(controlPayload)
        default:
            return try handleCloseFrame()
        }
    }

    private mutating func handleCloseFrame() throws(WebSocketError) -> WebSocketEvent {
        var code: WebSocketCloseCode?
        var reason = ""
        if !controlPayload.isEmpty {
            guard controlPayload.count >= 2 else {
                throw WebSocketError(.protocolViolation, "close frame with a 1-byte payload")
            }
            let received = WebSocketCloseCode(rawValue: UInt16(controlPayload[0]) << 8 | UInt16(controlPayload[1]))
            guard received.isValidOnWire else {
                throw WebSocketError(.protocolViolation, "close code \(received) may not be sent")
            }
            let reasonBytes = Array(controlPayload[2...])
            var validator = UTF8Validator()
            guard validator.firstInvalidByte(in: reasonBytes) == nil, validator.isAtCharacterBoundary else {
                throw WebSocketError(.invalidUTF8, "close reason")
            }
            code = received
            reason = String(decoding: reasonBytes, as: UTF8.self)
        }
        if state == .open {
            queueClose(code: code, reason: [])
        }
        state = .closed
        return .closed(code, reason: reason)
    }

    private mutating func fail(_ error: WebSocketError) {
        if state == .open {
            queueClose(code: error.closeCode, reason: [])
        }
        state = .closed
        message = []
    }

    // MARK: Sending

    /// Queues a binary message as one frame.
    package mutating func sendBinary(_ payload: [UInt8]) throws(WebSocketError) {
        try checkMessageSend(size: payload.count)
        payload.withUnsafeBytes { queueFrame(opcode: .binary, payload: $0) }
    }

    /// Queues a binary message as one frame.
    package mutating func sendBinary(_ payload: UnsafeRawBufferPointer) throws(WebSocketError) {
        try checkMessageSend(size: payload.count)
        queueFrame(opcode: .binary, payload: payload)
    }

    /// Queues a text message as one frame.
    package mutating func sendText(_ text: String) throws(WebSocketError) {
        try checkMessageSend(size: text.utf8.count)
        var text = text
        text.withUTF8 { queueFrame(opcode: .text, payload: UnsafeRawBufferPointer($0)) }
    }

    /// Queues a ping; the peer's pong comes back as `.pong`.
    package mutating func sendPing(_ payload: [UInt8] = []) throws(WebSocketError) {
        guard state == .open else { throw WebSocketError(.connectionClosed, "cannot send a ping") }
        guard payload.count <= 125 else {
            throw WebSocketError(.invalidArgument, "ping payload of \(payload.count) bytes exceeds 125")
        }
        payload.withUnsafeBytes { queueFrame(opcode: .ping, payload: $0) }
    }

    /// Starts the close handshake; the connection is closed when the peer's close arrives
    /// (`.closed`). Does nothing when a close was already sent or received.
    ///
    /// - Parameters:
    ///   - code: the status to send, or `nil` for a close frame without one (what a conclave server
    ///     sends, PROTOCOL.md §2.2).
    ///   - reason: at most 123 bytes of UTF-8; only sent with a code.
    package mutating func close(
        code: WebSocketCloseCode? = .normalClosure, reason: String = ""
    ) throws(WebSocketError) {
        let reasonBytes = Array(reason.utf8)
        if let code {
            guard code.isValidOnWire else {
                throw WebSocketError(.invalidArgument, "close code \(code) may not be sent")
            }
            guard reasonBytes.count <= 123 else {
                throw WebSocketError(.invalidArgument, "close reason of \(reasonBytes.count) bytes exceeds 123")
            }
        } else if !reasonBytes.isEmpty {
            throw WebSocketError(.invalidArgument, "a close reason needs a close code")
        }
        guard state == .open else { return }
        queueClose(code: code, reason: reasonBytes)
        state = .closing
    }

    /// Queues a frame already encoded with `WebSocketFrame.encode` (unmasked), so a server sending
    /// one message to many connections encodes it once. Server role only: client frames need a
    /// fresh masking key each.
    package mutating func sendEncodedFrame(_ frame: [UInt8]) throws(WebSocketError) {
        guard role == .server else {
            throw WebSocketError(.invalidArgument, "a client must mask each frame with its own key")
        }
        guard state == .open else { throw WebSocketError(.connectionClosed, "cannot send a message") }
        output.append(contentsOf: frame)
    }

    private func checkMessageSend(size: Int) throws(WebSocketError) {
        guard state == .open else { throw WebSocketError(.connectionClosed, "cannot send a message") }
        guard size <= maximumMessageSize else {
            throw WebSocketError(
                .messageTooLarge, "message of \(size) bytes exceeds the limit of \(maximumMessageSize)")
        }
    }

    private mutating func queueClose(code: WebSocketCloseCode?, reason: [UInt8]) {
        var payload: [UInt8] = []
        if let code {
            payload = [UInt8(truncatingIfNeeded: code.rawValue >> 8), UInt8(truncatingIfNeeded: code.rawValue)]
            payload.append(contentsOf: reason)
        }
        payload.withUnsafeBytes { queueFrame(opcode: .close, payload: $0) }
    }

    private mutating func queueFrame(opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer) {
        let key: WebSocketMaskingKey? = role == .client ? maskingKeys.next() : nil
        WebSocketFrame.encode(opcode: opcode, payload: payload, maskingKey: key, into: &output)
    }
}
