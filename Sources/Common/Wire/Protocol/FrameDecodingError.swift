/// Bytes that are not one well-formed frame (or payload), with the offset of the first offending byte.
package struct FrameDecodingError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What was wrong, in the style of swift-system's `Errno`: compare against the static members.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short phrase naming the fault, e.g. `invalid bool byte`.
        package let description: String

        private init(_ description: String) { self.description = description }

        /// The input ended inside a value.
        package static let truncated = Code("input ends inside a value")
        /// A varint started with `fe`/`ff`, or `fd` where a u32 (field or variant index) was expected.
        package static let invalidVarintMarker = Code("invalid varint marker")
        /// A bool byte other than `00`/`01`.
        package static let invalidBool = Code("invalid bool byte")
        /// An option tag other than `00`/`01`.
        package static let invalidOptionTag = Code("invalid option tag")
        /// A string that is not valid UTF-8.
        package static let invalidUTF8 = Code("invalid UTF-8 in string")
        /// A variant index beyond the enum's last case.
        package static let unknownVariant = Code("unknown variant index")
        /// A length or element count larger than the bytes that remain.
        package static let lengthOverrun = Code("length runs past the end of the input")
        /// A message, length or count beyond the 16 MiB cap.
        package static let tooLarge = Code("larger than the 16 MiB limit")
        /// Bytes left over after a complete frame.
        package static let trailingBytes = Code("trailing bytes after a complete frame")
    }

    package var code: Code
    /// Offset, from the start of the message, of the byte where the fault was found.
    package var offset: Int

    package init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    package var description: String { "undecodable frame: \(code) at byte offset \(offset)" }
}
