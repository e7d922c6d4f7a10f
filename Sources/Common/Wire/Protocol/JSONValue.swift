/// One JSON value, as read from or written to a JSON line (through jansson, see `JSONCoding.swift`).
///
/// Integers and reals are kept apart, as jansson keeps them: `1` is `.integer(1)`, `1.0` is `.number(1)`.
/// Equality is structural: object member order does not matter (PROTOCOL.md §4.1).
public enum JSONValue: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The member `name` when this is an object that has one, else `nil`.
    public subscript(name: String) -> JSONValue? {
        guard case let .object(object) = self else { return nil }
        return object[name]
    }

    public var isNull: Bool { self == .null }

    /// The text, when this is a string.
    public var stringValue: String? {
        guard case let .string(text) = self else { return nil }
        return text
    }

    /// The integer, when this is an integer (a real such as `1.0` is not).
    public var integerValue: Int64? {
        guard case let .integer(value) = self else { return nil }
        return value
    }

    public var boolValue: Bool? {
        guard case let .bool(value) = self else { return nil }
        return value
    }

    public var arrayValue: [JSONValue]? {
        guard case let .array(elements) = self else { return nil }
        return elements
    }

    public var objectValue: JSONObject? {
        guard case let .object(object) = self else { return nil }
        return object
    }

    /// What kind of value this is, for messages such as `expected a string, found an integer`.
    public var kindDescription: String {
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
    public init(nilLiteral: ()) { self = .null }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .number(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }

    /// An object whose members keep the order written.
    public init(dictionaryLiteral members: (String, JSONValue)...) {
        var object = JSONObject()
        for (name, value) in members { object[name] = value }
        self = .object(object)
    }
}

extension JSONValue {
    /// `.string(text)` or `.null`, for optional members (always emitted, §4.1).
    public init(_ text: String?) { self = text.map(JSONValue.string) ?? .null }

    /// `.integer(value)` or `.null`.
    public init(_ value: Int64?) { self = value.map(JSONValue.integer) ?? .null }
}
