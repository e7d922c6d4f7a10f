internal import Glibc

/// Reads bincode 2 "standard" values (PROTOCOL.md §3.1–3.3) strictly from a borrowed buffer.
///
/// The reader only lives inside a `withUnsafeBufferPointer` scope. It checks every length against the
/// remaining input before allocating, and never traps on hostile bytes.
package struct WireReader {
    /// The 16 MiB cap on one message (§2.4); no length or count can exceed it either.
    static let maximumMessageSize = 16_777_216

    private let buffer: UnsafeBufferPointer<UInt8>
    private(set) var offset = 0

    package init(_ buffer: UnsafeBufferPointer<UInt8>) {
        self.buffer = buffer
    }

    var remaining: Int { buffer.count - offset }

    /// Upstream ignores trailing bytes (§10 item 19); this decoder refuses them, which §3.3 allows.
    package func expectEnd() throws(FrameDecodingError) {
        guard offset == buffer.count else { throw FrameDecodingError(.trailingBytes, at: offset) }
    }

    mutating func readByte() throws(FrameDecodingError) -> UInt8 {
        guard offset < buffer.count else { throw FrameDecodingError(.truncated, at: offset) }
        defer { offset += 1 }
        return buffer[offset]
    }

    /// A u64 (or usize) varint. Non-minimal forms are accepted, as upstream does (§3.1).
    mutating func readVarint() throws(FrameDecodingError) -> UInt64 {
        let start = offset
        let marker = try readByte()
        switch marker {
        case 0...250: return UInt64(marker)
        case 0xFB: return try readLittleEndian(UInt16.self, markerAt: start)
        case 0xFC: return try readLittleEndian(UInt32.self, markerAt: start)
        case 0xFD: return try readLittleEndian(UInt64.self, markerAt: start)
        default: throw FrameDecodingError(.invalidVarintMarker, at: start)
        }
    }

    /// A u32 varint, where the 8-byte marker `fd` is invalid even for small values (§3.1).
    mutating func readU32() throws(FrameDecodingError) -> UInt32 {
        let start = offset
        let marker = try readByte()
        switch marker {
        case 0...250: return UInt32(marker)
        case 0xFB: return UInt32(try readLittleEndian(UInt16.self, markerAt: start))
        case 0xFC: return UInt32(try readLittleEndian(UInt32.self, markerAt: start))
        default: throw FrameDecodingError(.invalidVarintMarker, at: start)
        }
    }

    /// An enum variant index (a u32), refused unless below `caseCount`.
    package mutating func readVariant(caseCount: UInt32) throws(FrameDecodingError) -> UInt32 {
        let start = offset
        let index = try readU32()
        guard index < caseCount else { throw FrameDecodingError(.unknownVariant, at: start) }
        return index
    }

    /// An i64: a zig-zag mapped u64 varint (§3.2).
    package mutating func readI64() throws(FrameDecodingError) -> Int64 {
        let zigzag = try readVarint()
        return Int64(bitPattern: zigzag >> 1) ^ -Int64(bitPattern: zigzag & 1)
    }

    mutating func readBool() throws(FrameDecodingError) -> Bool {
        switch try readByte() {
        case 0: return false
        case 1: return true
        default: throw FrameDecodingError(.invalidBool, at: offset - 1)
        }
    }

    /// An `Option<T>`: tag `00` (absent) or `01` followed by the value.
    mutating func readOptional<Value: WireDecodable>(_: Value.Type) throws(FrameDecodingError) -> Value? {
        switch try readByte() {
        case 0: return nil
        case 1: return try Value(from: &self)
        default: throw FrameDecodingError(.invalidOptionTag, at: offset - 1)
        }
    }

    /// A length or element count, checked against the cap and against the input left, given that each
    /// element takes at least `minimumElementSize` bytes, so no caller allocates from an unchecked count.
    mutating func readLength(minimumElementSize: Int = 1) throws(FrameDecodingError) -> Int {
        let start = offset
        let length = try readVarint()
        guard length <= UInt64(Self.maximumMessageSize) else { throw FrameDecodingError(.tooLarge, at: start) }
        let count = Int(length)
        guard count <= remaining / max(minimumElementSize, 1) else {
            throw FrameDecodingError(.lengthOverrun, at: start)
        }
        return count
    }

    package mutating func readString() throws(FrameDecodingError) -> String {
        let count = try readLength()
        let bytes = UnsafeBufferPointer(rebasing: buffer[offset..<offset + count])
        // `String(decoding:)` is the stdlib's fast validating path (`String(validating:)` is several times
        // slower here). It repairs invalid input, so the input was valid exactly when the text's UTF-8 is
        // the input byte for byte.
        let text = String(decoding: bytes, as: UTF8.self)
        guard Self.utf8(of: text, equals: bytes) else { throw FrameDecodingError(.invalidUTF8, at: offset) }
        offset += count
        return text
    }

    private static func utf8(of text: String, equals bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let same = text.utf8.withContiguousStorageIfAvailable { utf8 in
            guard utf8.count == bytes.count else { return false }
            guard let textStart = utf8.baseAddress, let bytesStart = bytes.baseAddress else { return true }
            return memcmp(textStart, bytesStart, bytes.count) == 0
        }
        return same ?? text.utf8.elementsEqual(bytes)
    }

    /// A `Vec<u8>`: length then raw bytes.
    package mutating func readBytes() throws(FrameDecodingError) -> [UInt8] {
        let count = try readLength()
        defer { offset += count }
        return Array(buffer[offset..<offset + count])
    }

    /// A `Vec<T>`. The count is checked against the input left before any allocation.
    mutating func readSequence<Element: WireDecodable>(of _: Element.Type) throws(FrameDecodingError) -> [Element] {
        let count = try readLength(minimumElementSize: Element.minimumEncodedSize)
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try Element(from: &self))
        }
        return elements
    }

    private mutating func readLittleEndian<Integer: FixedWidthInteger & UnsignedInteger>(
        _: Integer.Type, markerAt start: Int
    ) throws(FrameDecodingError) -> UInt64 {
        let size = MemoryLayout<Integer>.size
        guard size <= remaining else { throw FrameDecodingError(.truncated, at: start) }
        let value = UnsafeRawBufferPointer(buffer).loadUnaligned(fromByteOffset: offset, as: Integer.self)
        offset += size
        return UInt64(Integer(littleEndian: value))
    }
}

/// A value that can be read from the wire, and the fewest bytes its encoding can take (which bounds how
/// many elements a claimed count can honestly hold).
protocol WireDecodable {
    static var minimumEncodedSize: Int { get }
    init(from reader: inout WireReader) throws(FrameDecodingError)
}

extension String: WireDecodable {
    static var minimumEncodedSize: Int { 1 }
    init(from reader: inout WireReader) throws(FrameDecodingError) { self = try reader.readString() }
}

extension UInt32: WireDecodable {
    static var minimumEncodedSize: Int { 1 }
    init(from reader: inout WireReader) throws(FrameDecodingError) { self = try reader.readU32() }
}

extension UInt64: WireDecodable {
    static var minimumEncodedSize: Int { 1 }
    init(from reader: inout WireReader) throws(FrameDecodingError) { self = try reader.readVarint() }
}

extension Int64: WireDecodable {
    static var minimumEncodedSize: Int { 1 }
    init(from reader: inout WireReader) throws(FrameDecodingError) { self = try reader.readI64() }
}
