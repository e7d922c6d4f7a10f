/// The 4-byte key a client XORs over each frame's payload (RFC 6455 §5.3).
package struct WebSocketMaskingKey: Hashable, Sendable {
    /// The four key bytes, first byte in the most significant position.
    package let rawValue: UInt32

    package init(rawValue: UInt32) { self.rawValue = rawValue }

    package init(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        rawValue = UInt32(b0) << 24 | UInt32(b1) << 16 | UInt32(b2) << 8 | UInt32(b3)
    }

    /// The key byte that applies at `index` (taken modulo 4).
    package func byte(at index: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: rawValue >> (24 - 8 * UInt32(index & 3)))
    }

    /// XORs the key over `bytes` in place, as if `bytes` started `offset` bytes into the payload.
    ///
    /// Works eight bytes at a time; masking is its own inverse, so this also unmasks.
    package func apply(to bytes: UnsafeMutableRawBufferPointer, offset: Int = 0) {
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var word: UInt64 = 0
        withUnsafeMutableBytes(of: &word) { pattern in
            for index in 0..<8 { pattern[index] = byte(at: offset &+ index) }
        }
        var index = 0
        while index &+ 8 <= count {
            let value = base.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            base.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
            index &+= 8
        }
        while index < count {
            let pointer = base.advanced(by: index).assumingMemoryBound(to: UInt8.self)
            pointer.pointee ^= byte(at: offset &+ index)
            index &+= 1
        }
    }
}
