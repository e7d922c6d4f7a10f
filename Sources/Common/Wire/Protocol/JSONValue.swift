/// One JSON value, as read from or written to a JSON line (through jansson, see `JSONCoding.swift`).
///
/// Integers and reals are kept apart, as jansson keeps them: `1` is `.integer(1)`, `1.0` is `.number(1)`.
/// Equality is structural: object member order does not matter (PROTOCOL.md §4.1).
package enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member `name` when this is an object that has one, else `nil`.
    package subscript(name: String) -> JSONValue? {
        guard case let .object(object) = self else { return nil }
        return object[name]
    }

    package var isNull: Bool { self == .null }

    /// The text, when this is a string.
    package var stringValue: String? {
        guard case let .string(text) = self else { return nil }
        return text
    }

    /// The integer, when this is an integer (a real such as `1.0` is not).
    package var integerValue: Int64? {
        guard case let .integer(value) = self else { return nil }
        return value
    }

    package var boolValue: Bool? {
        guard case let .bool(value) = self else { return nil }
        return value
    }

    package var arrayValue: [JSONValue]? {
        guard case let .array(elements) = self else { return nil }
        return elements
    }

    package var objectValue: JSONObject? {
        guard case let .object(object) = self else { return nil }
        return object
    }

    /// What kind of value this is, for messages such as `expected a string, found an integer`.
    package var kindDescription: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .number: "a real number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    package init(nilLiteral: ()) { self = .null }
    package init(booleanLiteral value: Bool) { self = .bool(value) }
    package init(integerLiteral value: Int64) { self = .integer(value) }
    package init(floatLiteral value: Double) { self = .number(value) }
    package init(stringLiteral value: String) { self = .string(value) }
    package init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// An object whose members keep the order written.
    package init(dictionaryLiteral members: (String, JSONValue)...) {
        var object = JSONObject()
        for (name, value) in members { object[name] = value }
        self = .object(object)
    }
}

extension JSONValue {
    /// `.string(text)` or `.null`, for optional members (always emitted, §4.1).
    package init(_ text: String?) { self = text.map(JSONValue.string) ?? .null }

    /// `.integer(value)` or `.null`.
    package init(_ value: Int64?) { self = value.map(JSONValue.integer) ?? .null }
}
