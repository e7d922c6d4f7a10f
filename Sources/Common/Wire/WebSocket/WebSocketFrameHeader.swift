/// The fixed part of a frame in front of its payload (RFC 6455 §5.2).
package struct WebSocketFrameHeader: Hashable, Sendable {
    /// Whether this frame ends its message.
    package var isFinal: Bool
    /// The three RSV bits in place (0x40, 0x20, 0x10); always zero without extensions.
    package var reservedBits: UInt8
    package var opcode: WebSocketOpcode
    /// Present exactly when the frame is masked.
    package var maskingKey: WebSocketMaskingKey?
    /// Bounded by the 63 bits RFC 6455 allows, so it always fits in `Int` on 64-bit Linux.
    package var payloadLength: Int

    package init(
        isFinal: Bool = true, reservedBits: UInt8 = 0, opcode: WebSocketOpcode,
        maskingKey: WebSocketMaskingKey? = nil, payloadLength: Int
    ) {
        self.isFinal = isFinal
        self.reservedBits = reservedBits
        self.opcode = opcode
        self.maskingKey = maskingKey
        self.payloadLength = payloadLength
    }

    /// The largest header: 2 fixed bytes, an 8-byte length and a 4-byte masking key.
    package static let maximumSize = 14

    /// Bytes this header takes on the wire (always the minimal length encoding).
    package var encodedSize: Int {
        let lengthBytes = payloadLength < 126 ? 0 : payloadLength <= 0xFFFF ? 2 : 8
        return 2 + lengthBytes + (maskingKey == nil ? 0 : 4)
    }

    /// Appends the header in its minimal encoding to `buffer`.
    package func encode(into buffer: inout [UInt8]) {
        buffer.append((isFinal ? 0x80 : 0) | (reservedBits & 0x70) | opcode.rawValue)
        let maskBit: UInt8 = maskingKey == nil ? 0 : 0x80
        if payloadLength < 126 {
            buffer.append(maskBit | UInt8(truncatingIfNeeded: payloadLength))
        } else if payloadLength <= 0xFFFF {
            buffer.append(maskBit | 126)
            buffer.append(UInt8(truncatingIfNeeded: payloadLength >> 8))
            buffer.append(UInt8(truncatingIfNeeded: payloadLength))
        } else {
            buffer.append(maskBit | 127)
            let length = UInt64(payloadLength)
            for shift in stride(from: 56, through: 0, by: -8) {
                buffer.append(UInt8(truncatingIfNeeded: length >> UInt64(shift)))
            }
        }
        if let maskingKey {
            for index in 0..<4 { buffer.append(maskingKey.byte(at: index)) }
        }
    }

    /// Decodes and checks the header at the start of `bytes`, returning it with its size, or `nil`
    /// when more bytes are needed. Fails as soon as the bytes present break a rule, before the
    /// rest of the header arrives.
    ///
    /// - Parameters:
    ///   - receiver: the side reading the frame; a server requires masking, a client forbids it.
    ///   - dataPayloadLimit: the most payload a data frame may declare (the message size cap less
    ///     what the message already holds); checked here so nothing larger is ever buffered.
    package static func decode(
        _ bytes: UnsafeRawBufferPointer, receiver: WebSocketRole, dataPayloadLimit: Int
    ) throws(WebSocketError) -> (header: WebSocketFrameHeader, size: Int)? {
        guard bytes.count >= 2 else { return nil }
        let first = bytes[0]
        let second = bytes[1]
        let reservedBits = first & 0x70
        let opcode = WebSocketOpcode(rawValue: first)
        let isFinal = first & 0x80 != 0
        let isMasked = second & 0x80 != 0
        let shortLength = Int(second & 0x7F)
        guard reservedBits == 0 else {
            throw WebSocketError(.protocolViolation, "RSV bits set without a negotiated extension")
        }
        guard opcode.isDefined else { throw WebSocketError(.protocolViolation, "\(opcode)") }
        if opcode.isControl {
            guard isFinal else { throw WebSocketError(.protocolViolation, "fragmented \(opcode) frame") }
            guard shortLength <= 125 else {
                throw WebSocketError(.protocolViolation, "\(opcode) frame payload over 125 bytes")
            }
        }
        switch (receiver, isMasked) {
        case (.server, false): throw WebSocketError(.protocolViolation, "unmasked frame from a client")
        case (.client, true): throw WebSocketError(.protocolViolation, "masked frame from a server")
        default: break
        }
        var size = 2
        var payloadLength = shortLength
        if shortLength == 126 {
            guard bytes.count >= 4 else { return nil }
            payloadLength = Int(bytes[2]) << 8 | Int(bytes[3])
            guard payloadLength >= 126 else {
                throw WebSocketError(.protocolViolation, "16-bit length \(payloadLength) is not minimal")
            }
            size = 4
        } else if shortLength == 127 {
            guard bytes.count >= 10 else { return nil }
            guard bytes[2] & 0x80 == 0 else {
                throw WebSocketError(.protocolViolation, "64-bit length with the most significant bit set")
            }
            var length: UInt64 = 0
            for index in 2..<10 { length = length << 8 | UInt64(bytes[index]) }
            guard length > 0xFFFF else {
                throw WebSocketError(.protocolViolation, "64-bit length \(length) is not minimal")
            }
            payloadLength = Int(length)
            size = 10
        }
        if !opcode.isControl, payloadLength > dataPayloadLimit {
            throw WebSocketError(.messageTooLarge, "frame of \(payloadLength) bytes exceeds the message size limit")
        }
        var maskingKey: WebSocketMaskingKey?
        if isMasked {
            guard bytes.count >= size + 4 else { return nil }
            maskingKey = WebSocketMaskingKey(bytes[size], bytes[size + 1], bytes[size + 2], bytes[size + 3])
            size += 4
        }
        let header = WebSocketFrameHeader(
            isFinal: isFinal, reservedBits: reservedBits, opcode: opcode, maskingKey: maskingKey,
            payloadLength: payloadLength)
        return (header, size)
    }
}
