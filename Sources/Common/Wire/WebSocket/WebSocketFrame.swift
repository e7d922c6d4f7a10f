/// One whole frame, for building output and for tests; the receive path streams frames as
/// `WebSocketFrameChunk`s instead so large payloads are never held twice.
package struct WebSocketFrame: Hashable, Sendable {
    package var isFinal: Bool
    package var opcode: WebSocketOpcode
    /// The unmasked payload.
    package var payload: [UInt8]

    package init(isFinal: Bool = true, opcode: WebSocketOpcode, payload: [UInt8] = []) {
        self.isFinal = isFinal
        self.opcode = opcode
        self.payload = payload
    }

    /// The frame's wire bytes, masked with `maskingKey` when one is given (client frames).
    package func encoded(maskingKey: WebSocketMaskingKey? = nil) -> [UInt8] {
        var buffer: [UInt8] = []
        payload.withUnsafeBytes { bytes in
            Self.encode(isFinal: isFinal, opcode: opcode, payload: bytes, maskingKey: maskingKey, into: &buffer)
        }
        return buffer
    }

    /// Appends one frame's wire bytes to `buffer`, masking the copied payload in place, so a
    /// sender needs no intermediate allocation.
    package static func encode(
        isFinal: Bool = true, opcode: WebSocketOpcode, payload: UnsafeRawBufferPointer,
        maskingKey: WebSocketMaskingKey?, into buffer: inout [UInt8]
    ) {
        let header = WebSocketFrameHeader(
            isFinal: isFinal, opcode: opcode, maskingKey: maskingKey, payloadLength: payload.count)
        header.encode(into: &buffer)
        let payloadStart = buffer.count
        buffer.append(contentsOf: payload)
        if let maskingKey {
            buffer.withUnsafeMutableBytes { bytes in
                maskingKey.apply(to: UnsafeMutableRawBufferPointer(rebasing: bytes[payloadStart...]))
            }
        }
    }
}
