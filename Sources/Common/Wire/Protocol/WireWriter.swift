/// Appends values in bincode 2 "standard" form (PROTOCOL.md §3.1–3.3) to a growing byte array.
///
/// Every integer is written in its shortest varint form, as encoders must.
package struct WireWriter {
    package private(set) var bytes: [UInt8]

    /// Most frames fit the default, so encoding one usually allocates once.
    package init(capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// A u64, a usize length or (through `writeU32`) a u32 or variant index, as a varint (§3.1).
    mutating func writeVarint(_ value: UInt64) {
        switch value {
        case 0...250:
            bytes.append(UInt8(truncatingIfNeeded: value))
        case 251...0xFFFF:
            bytes.append(0xFB)
            appendLittleEndian(value, count: 2)
        case 0x1_0000...0xFFFF_FFFF:
            bytes.append(0xFC)
            appendLittleEndian(value, count: 4)
        default:
            bytes.append(0xFD)
            appendLittleEndian(value, count: 8)
        }
    }

    mutating func writeU32(_ value: UInt32) {
        writeVarint(UInt64(value))
    }

    /// An enum variant index; every index in the protocol fits one byte, but the form is the u32 varint.
    package mutating func writeVariant(_ index: UInt32) {
        writeVarint(UInt64(index))
    }

    mutating func writeLength(_ count: Int) {
        writeVarint(UInt64(count))
    }

    /// An i64, zig-zag mapped onto a u64 (§3.2).
    package mutating func writeI64(_ value: Int64) {
        writeVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeBool(_ value: Bool) {
        bytes.append(value ? 1 : 0)
    }

    package mutating func writeString(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            writeLength(utf8.count)
            bytes.append(contentsOf: utf8)
        }
    }

    package mutating func writeBytes(_ value: [UInt8]) {
        writeLength(value.count)
        bytes.append(contentsOf: value)
    }

    /// `Option<T>`: a `00` tag when absent, else `01` and the value.
    mutating func writeOptional<Value>(_ value: Value?, _ writeValue: (inout WireWriter, Value) -> Void) {
        guard let value else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        writeValue(&self, value)
    }

    mutating func writeSequence<Element>(_ elements: [Element], _ writeElement: (inout WireWriter, Element) -> Void) {
        writeLength(elements.count)
        for element in elements {
            writeElement(&self, element)
        }
    }

    private mutating func appendLittleEndian(_ value: UInt64, count: Int) {
        for shift in stride(from: 0, to: count * 8, by: 8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }
}
