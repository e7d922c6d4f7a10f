/// Incremental UTF-8 validation (RFC 3629), fed one chunk at a time, so a text message can be
/// refused at its first bad byte rather than when it completes (Autobahn 6.4.*).
///
/// Refuses overlong forms, surrogates (U+D800–U+DFFF) and code points above U+10FFFF.
package struct UTF8Validator: Hashable, Sendable {
    /// Continuation bytes still owed by the sequence in progress.
    private var pending: UInt8 = 0
    /// Allowed range of the next continuation byte; narrower than 0x80–0xBF right after some lead
    /// bytes, which is how overlongs, surrogates and values above U+10FFFF are excluded.
    private var lowerBound: UInt8 = 0x80
    private var upperBound: UInt8 = 0xBF

    package init() {}

    /// Whether everything fed so far ends on a character boundary.
    package var isAtCharacterBoundary: Bool { pending == 0 }

    /// Feeds the next bytes; returns the offset of the first invalid byte within `bytes`, or `nil`
    /// when all of them are valid so far. After a failure the validator must be reset.
    package mutating func firstInvalidByte(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var index = 0
        while index < count {
            if pending == 0 {
                // ASCII fast path: eight bytes at a time while none has its high bit set.
                while index &+ 8 <= count,
                      base.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                    index &+= 8
                }
                guard index < count else { return nil }
                let lead = base.load(fromByteOffset: index, as: UInt8.self)
                switch lead {
                case 0x00...0x7F: break
                case 0xC2...0xDF: begin(1, 0x80, 0xBF)
                case 0xE0: begin(2, 0xA0, 0xBF)
                case 0xE1...0xEC, 0xEE...0xEF: begin(2, 0x80, 0xBF)
                case 0xED: begin(2, 0x80, 0x9F)
                case 0xF0: begin(3, 0x90, 0xBF)
                case 0xF1...0xF3: begin(3, 0x80, 0xBF)
                case 0xF4: begin(3, 0x80, 0x8F)
                default: return index
                }
            } else {
                let byte = base.load(fromByteOffset: index, as: UInt8.self)
                guard byte >= lowerBound, byte <= upperBound else { return index }
                pending &-= 1
                lowerBound = 0x80
                upperBound = 0xBF
            }
            index &+= 1
        }
        return nil
    }

    /// Convenience for `firstInvalidByte(in:)` over an array.
    package mutating func firstInvalidByte(in bytes: [UInt8]) -> Int? {
        bytes.withUnsafeBytes { firstInvalidByte(in: $0) }
    }

    private mutating func begin(_ continuationBytes: UInt8, _ lower: UInt8, _ upper: UInt8) {
        pending = continuationBytes
        lowerBound = lower
        upperBound = upper
    }
}
