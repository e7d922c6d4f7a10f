internal import CJansson

/// Parsing and compact serialization of `JSONValue`, both through jansson (the project's JSON library).
extension JSONValue {
    /// Objects and arrays nested deeper than this are refused, so converting jansson's tree cannot
    /// exhaust a thread's stack. Frames nest four levels at most.
    package static let maximumDepth = 256

    /// Parses one JSON text (e.g. a line, with or without its `\n`). Any value is accepted at the top;
    /// strings may contain U+0000; duplicate object member names are refused.
    package init(parsing text: String) throws(JSONParseError) {
        var text = text
        self = try text.withUTF8(Self.parse).get()
    }

    /// Parses one JSON text given as UTF-8 bytes.
    package init(parsing bytes: some Collection<UInt8>) throws(JSONParseError) {
        if let result = bytes.withContiguousStorageIfAvailable(Self.parse) {
            self = try result.get()
        } else {
            self = try Array(bytes).withUnsafeBufferPointer(Self.parse).get()
        }
    }

    private static func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONValue, JSONParseError> {
        guard let base = buffer.baseAddress, !buffer.isEmpty else {
            return .failure(JSONParseError(message: "empty input", position: 0))
        }
        var error = json_error_t()
        let flags = Int(JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
        let root = base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { chars in
            json_loadb(chars, buffer.count, flags, &error)
        }
        guard let root else {
            let message = withUnsafeBytes(of: error.text) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            return .failure(JSONParseError(message: message, position: Int(error.position)))
        }
        defer { json_decref(root) }
        return Result { () throws(JSONParseError) -> JSONValue in try JSONValue(jansson: root, depth: 0) }
    }

    private init(jansson node: UnsafeMutablePointer<json_t>, depth: Int) throws(JSONParseError) {
        switch node.pointee.type {
        case JSON_OBJECT:
            guard depth < Self.maximumDepth else { throw JSONParseError.tooDeep }
            var object = JSONObject()
            var iterator = json_object_iter(node)
            while let current = iterator {
                let name = String(
                    decoding: UnsafeRawBufferPointer(
                        start: json_object_iter_key(current), count: json_object_iter_key_len(current)),
                    as: UTF8.self)
                guard let child = json_object_iter_value(current) else { break }
                object.appendUnique(name, try JSONValue(jansson: child, depth: depth + 1))
                iterator = json_object_iter_next(node, current)
            }
            self = .object(object)
        case JSON_ARRAY:
            guard depth < Self.maximumDepth else { throw JSONParseError.tooDeep }
            let count = json_array_size(node)
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                guard let child = json_array_get(node, index) else { break }
                elements.append(try JSONValue(jansson: child, depth: depth + 1))
            }
            self = .array(elements)
        case JSON_STRING:
            self = .string(
                String(
                    decoding: UnsafeRawBufferPointer(start: json_string_value(node), count: json_string_length(node)),
                    as: UTF8.self))
        case JSON_INTEGER:
            self = .integer(Int64(json_integer_value(node)))
        case JSON_REAL:
            self = .number(json_real_value(node))
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }

    /// Compact JSON text (no whitespace), members in order, non-ASCII as raw UTF-8, no trailing newline.
    /// Non-finite reals, which JSON cannot express, are written as `null`.
    package func serialized() -> String {
        var output: [UInt8] = []
        serialize(appendingTo: &output)
        return String(decoding: output, as: UTF8.self)
    }

    /// Appends the bytes of `serialized()` to `output`, for a caller that writes bytes rather than a `String`.
    package func serialize(appendingTo output: inout [UInt8]) {
        let node = janssonValue()
        defer { json_decref(node) }
        let flags = Int(JSON_COMPACT | JSON_ENCODE_ANY)
        withUnsafeMutablePointer(to: &output) { outputPointer in
            _ = json_dump_callback(node, { chunk, size, context in
                guard let chunk, let context else { return -1 }
                let output = context.assumingMemoryBound(to: [UInt8].self)
                // Typed bytes are appended with one copy; an untyped buffer is appended byte by byte.
                chunk.withMemoryRebound(to: UInt8.self, capacity: size) { bytes in
                    output.pointee.append(contentsOf: UnsafeBufferPointer(start: bytes, count: size))
                }
                return 0
            }, outputPointer, flags)
        }
    }

    /// A new jansson tree (owned by the caller) for this value. jansson's constructors return NULL only when
    /// memory is exhausted, which the process could not survive anyway.
    private func janssonValue() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null:
            return json_null()
        case let .bool(value):
            return value ? json_true() : json_false()
        case let .integer(value):
            return json_integer(json_int_t(value))
        case let .number(value):
            return json_real(value) ?? json_null()
        case let .string(text):
            return withCharacters(of: text) { json_stringn($0, $1) } ?? json_null()
        case let .array(elements):
            let array = json_array()!
            for element in elements {
                json_array_append_new(array, element.janssonValue())
            }
            return array
        case let .object(object):
            let node = json_object()!
            for member in object.members {
                let child = member.value.janssonValue()
                withCharacters(of: member.name) { name, length in
                    _ = json_object_setn_new(node, name, length, child)
                }
            }
            return node
        }
    }
}

/// Runs `body` with a pointer to the UTF-8 of `text` (not NUL-terminated; it may contain NUL) and its length.
private func withCharacters<Result>(
    of text: String, _ body: (UnsafePointer<CChar>, Int) -> Result
) -> Result {
    var text = text
    return text.withUTF8 { utf8 in
        utf8.withMemoryRebound(to: CChar.self) { chars in
            guard let base = chars.baseAddress else { return body("", 0) }
            return body(base, chars.count)
        }
    }
}

extension JSONValue: CustomStringConvertible {
    /// The compact JSON text.
    package var description: String { serialized() }
}

extension JSONObject: CustomStringConvertible {
    /// The compact JSON text.
    package var description: String { JSONValue.object(self).serialized() }
}

/// Text that is not one JSON value, as jansson reports it.
package struct JSONParseError: Error, CustomStringConvertible, Hashable, Sendable {
    /// jansson's reason, e.g. `'[' or '{' expected near 'x'`.
    package var message: String
    /// Byte offset in the input where jansson stopped.
    package var position: Int

    package init(message: String, position: Int) {
        self.message = message
        self.position = position
    }

    static let tooDeep = JSONParseError(
        message: "nesting deeper than \(JSONValue.maximumDepth) levels", position: 0)

    package var description: String { "invalid JSON at byte \(position): \(message)" }
}
