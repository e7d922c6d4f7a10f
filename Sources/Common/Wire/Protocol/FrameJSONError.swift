/// A JSON object (or line) that is not a frame in the form of PROTOCOL.md §4, naming the member at fault.
///
/// Nested members are named by their path, e.g. `payload.encrypted.ciphertext` or `messages[2].from`.
package struct FrameJSONError: Error, CustomStringConvertible, Hashable, Sendable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let description: String

        private init(_ description: String) { self.description = description }

        /// The line is not JSON at all.
        package static let notJSON = Code("not JSON")
        /// The value (or a member that must be an object) is not a JSON object.
        package static let notAnObject = Code("not an object")
        /// A required member is absent.
        package static let missingMember = Code("missing member")
        /// A member that is neither a field of the frame nor an `_` annotation.
        package static let unknownMember = Code("unknown member")
        /// A `type` that names no frame.
        package static let unknownType = Code("unknown type")
        /// An `op` that names no admin operation.
        package static let unknownOp = Code("unknown op")
        /// An `error` that names no error kind.
        package static let unknownError = Code("unknown error kind")
        /// A member of the wrong JSON type, out of range, or with an invalid value.
        package static let invalidValue = Code("invalid value")
    }

    package var code: Code
    /// The member at fault, with its path for nested ones; `nil` when the fault is the whole line.
    package var member: String?
    /// One line, e.g. `member "channel": expected a string, found an integer`.
    package var description: String

    init(_ code: Code, member: String?, description: String) {
        self.code = code
        self.member = member
        self.description = description
    }

    static func notJSON(_ error: JSONParseError) -> FrameJSONError {
        FrameJSONError(.notJSON, member: nil, description: error.description)
    }

    static func notAnObject(_ value: JSONValue) -> FrameJSONError {
        FrameJSONError(.notAnObject, member: nil, description: "expected a JSON object, found \(value.kindDescription)")
    }

    static func missing(_ member: String) -> FrameJSONError {
        FrameJSONError(.missingMember, member: member, description: "missing member \"\(member)\"")
    }

    static func unknown(_ member: String) -> FrameJSONError {
        FrameJSONError(.unknownMember, member: member, description: "unknown member \"\(member)\"")
    }

    /// `unknown type "foo"`, `unknown op "x"`, `unknown error "y"`.
    static func unknownName(_ code: Code, member: String, name: String) -> FrameJSONError {
        FrameJSONError(code, member: member, description: "unknown \(member) \"\(name)\"")
    }

    static func invalid(_ member: String, _ problem: String) -> FrameJSONError {
        FrameJSONError(.invalidValue, member: member, description: "member \"\(member)\": \(problem)")
    }
}
