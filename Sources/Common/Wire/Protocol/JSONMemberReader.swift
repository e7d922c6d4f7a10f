/// Reads the members of one JSON object strictly, naming the member (with its path) in every error.
///
/// Members starting with `_` are annotations and are ignored (PROTOCOL.md §4.1); any other member not
/// in `allowed` is refused before the fields are read, so a misspelt name is reported as unknown rather
/// than as a missing one.
struct JSONMemberReader {
    private let object: JSONObject
    private let prefix: String

    init(_ object: JSONObject, path: String?, allowed: [String]) throws(FrameJSONError) {
        self.object = object
        self.prefix = path.map { "\($0)." } ?? ""
        for name in object.names where !name.hasPrefix("_") && !allowed.contains(name) {
            throw .unknown(prefix + name)
        }
    }

    /// An object value at `path`, to be read member by member.
    init(_ value: JSONValue, path: String, allowed: [String]) throws(FrameJSONError) {
        guard case let .object(object) = value else {
            throw .invalid(path, "expected an object, found \(value.kindDescription)")
        }
        try self.init(object, path: path, allowed: allowed)
    }

    func has(_ member: String) -> Bool { object[member] != nil }

    func required(_ member: String) throws(FrameJSONError) -> (value: JSONValue, path: String) {
        guard let value = object[member] else { throw .missing(prefix + member) }
        return (value, prefix + member)
    }

    /// `nil` when the member is missing or `null` (§4.1: a missing optional member reads as `null`).
    func optional(_ member: String) -> (value: JSONValue, path: String)? {
        guard let value = object[member], value != .null else { return nil }
        return (value, prefix + member)
    }

    func string(_ member: String) throws(FrameJSONError) -> String {
        let (value, path) = try required(member)
        return try JSONField.string(value, path)
    }

    func optionalString(_ member: String) throws(FrameJSONError) -> String? {
        guard let (value, path) = optional(member) else { return nil }
        return try JSONField.string(value, path)
    }

    func u32(_ member: String) throws(FrameJSONError) -> UInt32 {
        let (value, path) = try required(member)
        return try JSONField.u32(value, path)
    }

    func optionalU32(_ member: String) throws(FrameJSONError) -> UInt32? {
        guard let (value, path) = optional(member) else { return nil }
        return try JSONField.u32(value, path)
    }

    func optionalU64(_ member: String) throws(FrameJSONError) -> UInt64? {
        guard let (value, path) = optional(member) else { return nil }
        let integer = try JSONField.integer(value, path)
        guard integer >= 0 else { throw .invalid(path, "integer \(integer) out of range for u64") }
        return UInt64(integer)
    }

    func i64(_ member: String) throws(FrameJSONError) -> Int64 {
        let (value, path) = try required(member)
        return try JSONField.integer(value, path)
    }

    func optionalI64(_ member: String) throws(FrameJSONError) -> Int64? {
        guard let (value, path) = optional(member) else { return nil }
        return try JSONField.integer(value, path)
    }

    func bool(_ member: String) throws(FrameJSONError) -> Bool {
        let (value, path) = try required(member)
        guard case let .bool(flag) = value else {
            throw .invalid(path, "expected a boolean, found \(value.kindDescription)")
        }
        return flag
    }

    func bytes(_ member: String) throws(FrameJSONError) -> [UInt8] {
        let (value, path) = try required(member)
        let text = try JSONField.string(value, path)
        do {
            return try Base64URL.decode(text)
        } catch {
            throw .invalid(path, error.description)
        }
    }

    func visibility(_ member: String) throws(FrameJSONError) -> Visibility {
        let (value, path) = try required(member)
        let name = try JSONField.string(value, path)
        guard let visibility = Visibility(name: name) else {
            throw .invalid(path, "expected \"public\", \"unlisted\" or \"private\", found \"\(name)\"")
        }
        return visibility
    }

    package func sessionPath(_ member: String) throws(FrameJSONError) -> SessionPath {
        let (value, path) = try required(member)
        return try JSONField.sessionPath(value, path)
    }

    func payload(_ member: String) throws(FrameJSONError) -> Payload {
        let (value, path) = try required(member)
        return try JSONField.payload(value, path)
    }

    /// An array member, each element read by `readElement` with its own path (`member[index]`).
    func array<Element>(
        _ member: String, _ readElement: (JSONValue, String) throws(FrameJSONError) -> Element
    ) throws(FrameJSONError) -> [Element] {
        let (value, path) = try required(member)
        guard case let .array(elements) = value else {
            throw .invalid(path, "expected an array, found \(value.kindDescription)")
        }
        var result: [Element] = []
        result.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            result.append(try readElement(element, "\(path)[\(index)]"))
        }
        return result
    }
}

/// Conversions of single JSON values to protocol values, given the member path for errors.
package enum JSONField {
    static func string(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> String {
        guard case let .string(text) = value else {
            throw .invalid(path, "expected a string, found \(value.kindDescription)")
        }
        return text
    }

    static func integer(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> Int64 {
        guard case let .integer(integer) = value else {
            throw .invalid(path, "expected an integer, found \(value.kindDescription)")
        }
        return integer
    }

    static func u32(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> UInt32 {
        let integer = try integer(value, path)
        guard let result = UInt32(exactly: integer) else {
            throw .invalid(path, "integer \(integer) out of range for u32")
        }
        return result
    }

    /// The text form `user/machine/session` (three non-empty parts) or the object form (§4.1).
    package static func sessionPath(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> SessionPath {
        switch value {
        case let .string(text):
            do {
                return try SessionPath(parsing: text)
            } catch {
                throw .invalid(path, "expected a session path user/machine/session with three non-empty parts, "
                    + "found \"\(text)\"")
            }
        case .object:
            let members = try JSONMemberReader(value, path: path, allowed: ["user", "machine", "session"])
            return SessionPath(
                user: try members.string("user"), machine: try members.string("machine"),
                session: try members.string("session"))
        default:
            throw .invalid(path, "expected a session path (string or object), found \(value.kindDescription)")
        }
    }

    /// `{"plain": text}` or `{"encrypted": {"ciphertext": b64u, "key_id": text | null}}`.
    static func payload(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> Payload {
        let members = try JSONMemberReader(value, path: path, allowed: ["plain", "encrypted"])
        switch (members.has("plain"), members.has("encrypted")) {
        case (true, false):
            return .plain(try members.string("plain"))
        case (false, true):
            let (envelopeValue, envelopePath) = try members.required("encrypted")
            let envelope = try JSONMemberReader(envelopeValue, path: envelopePath, allowed: ["ciphertext", "key_id"])
            return .encrypted(
                Envelope(ciphertext: try envelope.bytes("ciphertext"), keyID: try envelope.optionalString("key_id")))
        default:
            throw .invalid(path, "expected exactly one of \"plain\" or \"encrypted\"")
        }
    }
}
