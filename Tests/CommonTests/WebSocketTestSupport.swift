@testable import ConclaveWire

/// Shared helpers for the WebSocket suites: building client frames and reading a side's output.
enum WebSocketTestSupport {
    static let key = WebSocketMaskingKey(0x37, 0xFA, 0x21, 0x3D)

    /// A masked frame as a client sends it.
    static func clientFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8] = [], isFinal: Bool = true) -> [UInt8] {
        WebSocketFrame(isFinal: isFinal, opcode: opcode, payload: payload).encoded(maskingKey: key)
    }

    /// A close frame payload: big-endian code then reason.
    static func closePayload(_ code: UInt16, _ reason: [UInt8] = []) -> [UInt8] {
        [UInt8(code >> 8), UInt8(code & 0xFF)] + reason
    }

    /// Reassembles whole frames from a parser's chunks.
    static func frames(
        from parser: inout WebSocketFrameParser, limit: Int = .max
    ) throws(WebSocketError) -> [WebSocketFrame] {
        var frames: [WebSocketFrame] = []
        var payload: [UInt8] = []
        while let chunk = try parser.nextChunk(dataPayloadLimit: limit) {
            if chunk.isFirst { payload = [] }
            payload += chunk.payload
            if chunk.isLast {
                let header = chunk.header
                frames.append(WebSocketFrame(isFinal: header.isFinal, opcode: header.opcode, payload: payload))
            }
        }
        return frames
    }

    /// The frames a connection of `role` has queued, decoded as its peer would.
    static func sentFrames(_ connection: inout WebSocketConnection) throws -> [WebSocketFrame] {
        let peer: WebSocketRole = connection.role == .server ? .client : .server
        var parser = WebSocketFrameParser(receiver: peer)
        parser.append(connection.takeOutput())
        return try frames(from: &parser)
    }

    /// The close code in the single close frame a connection has queued (nil for an empty close).
    static func sentCloseCode(_ connection: inout WebSocketConnection) throws -> UInt16? {
        let frames = try sentFrames(&connection)
        guard let close = frames.last, close.opcode == .close else { return 0 }
        guard close.payload.count >= 2 else { return nil }
        return UInt16(close.payload[0]) << 8 | UInt16(close.payload[1])
    }
}

extension WebSocketConnection {
    /// Receives `bytes` and drains every event they complete.
    mutating func receiveEvents(_ bytes: [UInt8]) -> [WebSocketEvent] {
        receive(bytes)
        var events: [WebSocketEvent] = []
        while let event = nextEvent() { events.append(event) }
        return events
    }
}
