/// A line and column (both from 1, the column in Unicode scalars) in a TOML document.
package struct TOMLPosition: Hashable, Sendable, CustomStringConvertible {
    package var line: Int
    package var column: Int

    package var description: String { "\(line):\(column)" }
}

/// A TOML value as read by `TOMLReader`.
package enum TOMLValue: Hashable, Sendable {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    /// An offset or local date-time, a local date or a local time.
    case dateTime(TOMLDateTime)
    /// An inline array or an array of tables (`[[name]]`).
    case array([TOMLValue])
    case table(TOMLTable)

    /// The TOML type name, for messages such as "`url` must be a string, not an integer".
    package var typeName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .dateTime(let value): value.typeName
        case .array: "an array"
        case .table: "a table"
        }
    }
}

/// A TOML table: its keys in document order, each value, and where each key and the table itself were defined.
/// Two tables are equal when their keys and values are; where they were written does not matter.
package struct TOMLTable: Hashable, Sendable {
    package private(set) var keys: [String] = []
    package private(set) var values: [String: TOMLValue] = [:]
    /// Where each key was written.
    package private(set) var keyPositions: [String: TOMLPosition] = [:]
    /// Where the table starts: its header, its `{`, or 1:1 for the root.
    package var position: TOMLPosition

    /// Byte ranges in the source, for editing the file in place (`ConfigDocument`); empty for tables built in
    /// code. Each value as written, each key/value expression's whole lines (for keys of this table written
    /// without dots), and for a table with a header its header line and the end of its last line.
    var valueRanges: [String: Range<Int>] = [:]
    var lineRanges: [String: Range<Int>] = [:]
    var headerRange: Range<Int>?
    var sectionEnd: Int?

    package init(position: TOMLPosition) { self.position = position }

    package subscript(key: String) -> TOMLValue? { values[key] }

    package static func == (lhs: TOMLTable, rhs: TOMLTable) -> Bool {
        lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(keys)
        hasher.combine(values)
    }

    mutating func set(_ key: String, _ value: TOMLValue, at position: TOMLPosition) {
        if values.updateValue(value, forKey: key) == nil {
            keys.append(key)
            keyPositions[key] = position
        }
    }
}
