/// Bytes that are not one well-formed frame (or payload), with the offset of the first offending byte.
public struct FrameDecodingError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What was wrong, in the style of swift-system's `Errno`: compare against the static members.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// A short phrase naming the fault, e.g. `invalid bool byte`.
        public let description: String

        private init(_ description: String) { self.description = description }

        /// The input ended inside a value.
        public static let truncated = Code("input ends inside a value")
        /// A varint started with `fe`/`ff`, or `fd` where a u32 (field or variant index) was expected.
        public static let invalidVarintMarker = Code("invalid varint marker")
        /// A bool byte other than `00`/`01`.
        public static let invalidBool = Code("invalid bool byte")
        /// An option tag other than `00`/`01`.
        public static let invalidOptionTag = Code("invalid option tag")
        /// A string that is not valid UTF-8.
        public static let invalidUTF8 = Code("invalid UTF-8 in string")
        /// A variant index beyond the enum's last case.
        public static let unknownVariant = Code("unknown variant index")
        /// A length or element count larger than the bytes that remain.
        public static let lengthOverrun = Code("length runs past the end of the input")
        /// A message, length or count beyond the 16 MiB cap.
        public static let tooLarge = Code("larger than the 16 MiB limit")
        /// Bytes left over after a complete frame.
        public static let trailingBytes = Code("trailing bytes after a complete frame")
    }

    public var code: Code
    /// Offset, from the start of the message, of the byte where the fault was found.
    public var offset: Int

    public init(_ code: Code, at offset: Int) {
        self.code = code
        self.offset = offset
    }

    public var description: String { "undecodable frame: \(code) at byte offset \(offset)" }
}
