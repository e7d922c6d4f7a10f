#if canImport(Glibc)
internal import Glibc
#endif

/// A strict reader for TOML 1.0: every valid document is accepted, anything else is an error naming its line
/// and column.
///
/// Hand-written rather than TOMLKit (which does build here) because TOMLKit wraps toml++ (C++): it would add C++
/// start-up to every tool (the budget is ~3 ms per tool) and, like any reader that returns only values, cannot
/// rewrite `config.toml` keeping the user's comments. This one records where each key, value and table header is
/// (the `TOMLTable` ranges), which is what `ConfigDocument` edits in place.
package struct TOMLReader {
    /// Largest document accepted.
    package static let maximumByteCount = 1 << 20
    /// Deepest nesting of arrays and inline tables, so hostile input cannot exhaust the stack.
    static let maximumDepth = 64

    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    /// The column of a recent position on the current line, so positions are found without rescanning the line
    /// from its start each time (a long one-line array would otherwise take quadratic time).
    private var columnMark = (index: 0, column: 1)

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a whole document into its root table.
    package static func parse(_ bytes: [UInt8]) throws(TOMLError) -> TOMLTable {
        guard bytes.count <= maximumByteCount else {
            throw TOMLError(position: TOMLPosition(line: 1, column: 1), message: "file is larger than 1 MiB")
        }
        var reader = TOMLReader(bytes: bytes)
        try reader.checkUTF8()
        return try reader.parseDocument()
    }

    /// Parses a document given as text.
    package static func parse(_ text: String) throws(TOMLError) -> TOMLTable { try parse(Array(text.utf8)) }

    // MARK: Document structure

    /// A table while it is being built: headers and dotted keys may add to it later, so it is shared by reference.
    private final class TableBuilder {
        /// What defined the table, which decides what may still add to it (TOML 1.0 "Table").
        enum Origin {
            /// The root, or a table or array element defined by its own `[header]` / `[[header]]`.
            case header
            /// Only named on the way to a deeper header (`a` in `[a.b]`): a later `[a]` may still define it.
            case implied
            /// Made by a dotted key (`a` in `a.b = 1`): later dotted keys of the same table may add to it,
            /// a `[header]` may not define it, though it may define sub-tables of it.
            case dotted
        }

        var table: TOMLTable
        var children: [String: Child] = [:]
        var origin: Origin

        enum Child {
            case table(TableBuilder)
            case tables([TableBuilder])
        }

        init(position: TOMLPosition, origin: Origin) {
            table = TOMLTable(position: position)
            self.origin = origin
        }

        /// The finished table, with child tables in place.
        func build() -> TOMLTable {
            var result = table
            for key in table.keys {
                switch children[key] {
                case .table(let child): result.set(key, .table(child.build()), at: result.position)
                case .tables(let list): result.set(key, .array(list.map { .table($0.build()) }), at: result.position)
                case nil: break
                }
            }
            return result
        }
    }

    /// One part of a key as written, with where.
    private struct KeyPart {
        var name: String
        var position: TOMLPosition
    }

    private mutating func parseDocument() throws(TOMLError) -> TOMLTable {
        let root = TableBuilder(position: TOMLPosition(line: 1, column: 1), origin: .header)
        var current = root
        while index < bytes.count {
            skipWhitespace()
            guard let byte = peek() else { break }
            let expressionStart = lineStart
            switch byte {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                try finishLine()
            case UInt8(ascii: "["):
                current = try parseHeader(root: root)
                try finishLine()
                current.table.headerRange = expressionStart..<index
                current.table.sectionEnd = index
            default:
                let path = try parseKeyPath()
                skipWhitespace()
                try expect(UInt8(ascii: "="), "expected '=' after the key")
                skipWhitespace()
                let valueStart = index
                let value = try parseValue(depth: 0)
                let valueEnd = index
                try finishLine()
                try assign(value, to: path, in: current, valueRange: valueStart..<valueEnd,
                           lineRange: expressionStart..<index)
                current.table.sectionEnd = index
            }
        }
        return root.build()
    }

    /// Sets `path` (a key, dotted or not) to `value` in `table`, making the tables a dotted key names.
    private func assign(
        _ value: TOMLValue, to path: [KeyPart], in table: TableBuilder, valueRange: Range<Int>? = nil,
        lineRange: Range<Int>? = nil
    ) throws(TOMLError) {
        var target = table
        for (offset, part) in path.dropLast().enumerated() {
            let name = Self.dotted(path[...offset])
            switch target.children[part.name] {
            case .table(let child) where child.origin == .dotted:
                target = child
            case .table:
                throw error(at: part.position, "`\(name)` is a table with a [header]; a dotted key cannot add to it")
            case .tables:
                throw error(at: part.position, "`\(name)` is an array of tables; a dotted key cannot add to it")
            case nil:
                guard target.table[part.name] == nil else {
                    throw error(at: part.position, "`\(name)` is already a value, not a table")
                }
                let child = TableBuilder(position: part.position, origin: .dotted)
                target.children[part.name] = .table(child)
                target.table.set(part.name, .table(TOMLTable(position: part.position)), at: part.position)
                target = child
            }
        }
        let last = path[path.count - 1]
        guard target.table[last.name] == nil else {
            throw error(at: path[0].position, "duplicate key `\(Self.dotted(path[...]))`")
        }
        target.table.set(last.name, value, at: last.position)
        target.table.valueRanges[last.name] = valueRange
        target.table.lineRanges[last.name] = lineRange
    }

    /// `[a.b]` or `[[a.b]]`; returns the table that the following key/value pairs go into.
    private mutating func parseHeader(root: TableBuilder) throws(TOMLError) -> TableBuilder {
        let position = here()
        index += 1
        let isArray = peek() == UInt8(ascii: "[")
        if isArray { index += 1 }
        skipWhitespace()
        let keys = try parseKeyPath()
        try expect(UInt8(ascii: "]"), "expected ']' to close the table header")
        if isArray { try expect(UInt8(ascii: "]"), "expected ']]' to close the array-of-tables header") }
        let name = Self.dotted(keys[...])

        var table = root
        for key in keys.dropLast().map(\.name) {
            switch table.children[key] {
            case .table(let child): table = child
            case .tables(let list): table = list[list.count - 1]
            case nil:
                guard table.table[key] == nil else {
                    throw error(at: position, "`\(key)` in [\(name)] is already a value, not a table")
                }
                let child = TableBuilder(position: position, origin: .implied)
                table.children[key] = .table(child)
                table.table.set(key, .table(TOMLTable(position: position)), at: position)
                table = child
            }
        }
        let last = keys[keys.count - 1].name
        switch (table.children[last], isArray) {
        case (nil, _):
            if let line = table.table.keyPositions[last]?.line {
                let header = isArray ? "[[\(name)]]" : "[\(name)]"
                throw error(at: position, "key `\(last)` is already defined (line \(line)); \(header) cannot add to it")
            }
            let child = TableBuilder(position: position, origin: .header)
            table.children[last] = isArray ? .tables([child]) : .table(child)
            table.table.set(last, isArray ? .array([]) : .table(TOMLTable(position: position)), at: position)
            return child
        case (.tables(let list), true):
            let child = TableBuilder(position: position, origin: .header)
            table.children[last] = .tables(list + [child])
            return child
        case (.table(let child), false) where child.origin == .implied:
            child.origin = .header
            child.table.position = position
            return child
        case (.table(let child), false) where child.origin == .dotted:
            throw error(at: position, "table [\(name)] is already defined by dotted keys")
        case (.table, false):
            throw error(at: position, "table [\(name)] is defined twice")
        case (.table, true):
            throw error(at: position, "[[\(name)]] names a table, not an array of tables")
        case (.tables, false):
            throw error(at: position, "[\(name)] names an array of tables; use [[\(name)]]")
        }
    }

    /// After an expression: optional whitespace and comment, then a newline or the end.
    private mutating func finishLine() throws(TOMLError) {
        skipWhitespace()
        if peek() == UInt8(ascii: "#") { try skipComment() }
        guard let byte = peek() else { return }
        if byte == UInt8(ascii: "\n") {
            consumeNewline()
        } else if byte == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") {
            index += 1
            consumeNewline()
        } else {
            throw error("expected the end of the line")
        }
    }

    // MARK: Keys

    /// A key, dotted or not (`a . "b c".d`), and the whitespace after it.
    private mutating func parseKeyPath() throws(TOMLError) -> [KeyPart] {
        var parts = [try parseKey()]
        skipWhitespace()
        while peek() == UInt8(ascii: ".") {
            index += 1
            skipWhitespace()
            parts.append(try parseKey())
            skipWhitespace()
        }
        return parts
    }

    private mutating func parseKey() throws(TOMLError) -> KeyPart {
        let position = here()
        let key: String
        switch peek() {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                throw error("a multi-line string cannot be a key")
            }
            key = try parseBasicString()
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                throw error("a multi-line string cannot be a key")
            }
            key = try parseLiteralString()
        default:
            let start = index
            while let byte = peek(), Self.isBareKeyByte(byte) { index += 1 }
            guard index > start else { throw error("expected a key") }
            key = String(decoding: bytes[start..<index], as: UTF8.self)
        }
        return KeyPart(name: key, position: position)
    }

    /// `a.b.c` for messages.
    private static func dotted(_ parts: ArraySlice<KeyPart>) -> String {
        parts.map(\.name).joined(separator: ".")
    }

    private static func isBareKeyByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    // MARK: Values

    private mutating func parseValue(depth: Int) throws(TOMLError) -> TOMLValue {
        guard depth < Self.maximumDepth else { throw error("arrays and inline tables nest too deeply") }
        guard let byte = peek() else { throw error("expected a value") }
        switch byte {
        case UInt8(ascii: "\""):
            if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") {
                return .string(try parseMultilineBasicString())
            }
            return .string(try parseBasicString())
        case UInt8(ascii: "'"):
            if peek(1) == UInt8(ascii: "'"), peek(2) == UInt8(ascii: "'") {
                return .string(try parseMultilineLiteralString())
            }
            return .string(try parseLiteralString())
        case UInt8(ascii: "["):
            return try parseArray(depth: depth)
        case UInt8(ascii: "{"):
            return try parseInlineTable(depth: depth)
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            if matches("true") { index += 4; return .boolean(true) }
            if matches("false") { index += 5; return .boolean(false) }
            throw error("expected a value (strings need quotes)")
        default:
            if isDigit(0) && isDigit(1) && (peek(2) == UInt8(ascii: ":")
                || (isDigit(2) && isDigit(3) && peek(4) == UInt8(ascii: "-"))) {
                return .dateTime(try parseDateTime())
            }
            return try parseNumber()
        }
    }

    private mutating func parseArray(depth: Int) throws(TOMLError) -> TOMLValue {
        index += 1
        var elements: [TOMLValue] = []
        while true {
            try skipWhitespaceCommentsAndNewlines()
            if peek() == UInt8(ascii: "]") { index += 1; return .array(elements) }
            elements.append(try parseValue(depth: depth + 1))
            try skipWhitespaceCommentsAndNewlines()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"): index += 1; return .array(elements)
            default: throw error("expected ',' or ']' in the array")
            }
        }
    }

    /// `{ a = 1, b.c = 2 }`: on one line, no trailing comma, and complete in itself: nothing can add to it later,
    /// which holds because the result is a plain value, not a `TableBuilder`.
    private mutating func parseInlineTable(depth: Int) throws(TOMLError) -> TOMLValue {
        let table = TableBuilder(position: here(), origin: .header)
        index += 1
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { index += 1; return .table(table.build()) }
        while true {
            skipWhitespace()
            let path = try parseKeyPath()
            try expect(UInt8(ascii: "="), "expected '=' after the key")
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            try assign(value, to: path, in: table)
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"): index += 1; return .table(table.build())
            default: throw error("expected ',' or '}' in the inline table (it must fit on one line)")
            }
        }
    }

    // MARK: Dates and times

    /// An offset or local date-time, a local date or a local time (RFC 3339 as TOML 1.0 restricts it).
    private mutating func parseDateTime() throws(TOMLError) -> TOMLDateTime {
        let position = here()
        var value = TOMLDateTime()
        if peek(2) != UInt8(ascii: ":") {
            let year = try digits(4, position)
            try expectDateSeparator(UInt8(ascii: "-"), position)
            let month = try digits(2, position)
            try expectDateSeparator(UInt8(ascii: "-"), position)
            let day = try digits(2, position)
            guard (1...12).contains(month), (1...Self.daysIn(month: month, year: year)).contains(day) else {
                throw error(at: position, "invalid date \(Self.padded(year, 4))-\(Self.padded(month, 2))-"
                    + "\(Self.padded(day, 2))")
            }
            value.date = TOMLDateTime.Date(year: year, month: month, day: day)
            // The date-time delimiter: `T`, `t`, or a space followed by a time (otherwise the space ends it).
            switch peek() {
            case UInt8(ascii: "T"), UInt8(ascii: "t"):
                index += 1
            case UInt8(ascii: " ") where isDigit(1) && isDigit(2) && peek(3) == UInt8(ascii: ":"):
                index += 1
            default:
                return value
            }
        }
        let hour = try digits(2, position)
        try expectDateSeparator(UInt8(ascii: ":"), position)
        let minute = try digits(2, position)
        try expectDateSeparator(UInt8(ascii: ":"), position)
        let second = try digits(2, position)
        var nanosecond = 0
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard isDigit(0) else { throw error(at: position, "expected digits after '.' in the time") }
            var count = 0
            while isDigit(0) {
                // Precision beyond nanoseconds is truncated, as TOML allows.
                if count < 9 { nanosecond = nanosecond * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                count += 1
                index += 1
            }
            for _ in count..<max(count, 9) { nanosecond *= 10 }
        }
        guard hour < 24, minute < 60, second <= 60 else {
            throw error(at: position, "invalid time \(Self.padded(hour, 2)):\(Self.padded(minute, 2)):"
                + "\(Self.padded(second, 2))")
        }
        value.time = TOMLDateTime.Time(hour: hour, minute: minute, second: second, nanosecond: nanosecond)
        guard value.date != nil else { return value }
        switch peek() {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            index += 1
            value.offsetMinutes = 0
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            let sign = peek() == UInt8(ascii: "-") ? -1 : 1
            index += 1
            let hours = try digits(2, position)
            try expectDateSeparator(UInt8(ascii: ":"), position)
            let minutes = try digits(2, position)
            guard hours < 24, minutes < 60 else { throw error(at: position, "invalid time offset") }
            value.offsetMinutes = sign * (hours * 60 + minutes)
        default:
            break
        }
        return value
    }

    private mutating func digits(_ count: Int, _ position: TOMLPosition) throws(TOMLError) -> Int {
        var value = 0
        for _ in 0..<count {
            guard isDigit(0) else { throw error(at: position, "invalid date or time") }
            value = value * 10 + Int(bytes[index] - UInt8(ascii: "0"))
            index += 1
        }
        return value
    }

    private mutating func expectDateSeparator(_ byte: UInt8, _ position: TOMLPosition) throws(TOMLError) {
        guard peek() == byte else { throw error(at: position, "invalid date or time") }
        index += 1
    }

    private func isDigit(_ offset: Int) -> Bool {
        peek(offset).map { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) } ?? false
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    // MARK: Strings

    private mutating func parseBasicString() throws(TOMLError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                scalars.append(try parseEscape())
            default:
                scalars.append(try parseStringScalar(allowNewline: false))
            }
        }
    }

    private mutating func parseMultilineBasicString() throws(TOMLError) -> String {
        index += 3
        skipNewlineAfterOpeningDelimiter()
        var scalars = String.UnicodeScalarView()
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string") }
            if byte == UInt8(ascii: "\""), let quotes = try closingQuotes(UInt8(ascii: "\"")) {
                for _ in 0..<quotes - 3 { scalars.append("\"") }
                return String(scalars)
            }
            if byte == UInt8(ascii: "\\") {
                if isLineEndingBackslash() {
                    index += 1
                    try skipWhitespaceAndNewlinesInString()
                } else {
                    scalars.append(try parseEscape())
                }
            } else {
                scalars.append(try parseStringScalar(allowNewline: true))
            }
        }
    }

    private mutating func parseLiteralString() throws(TOMLError) -> String {
        index += 1
        var scalars = String.UnicodeScalarView()
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n") else { throw error("unterminated string") }
            if byte == UInt8(ascii: "'") {
                index += 1
                return String(scalars)
            }
            scalars.append(try parseStringScalar(allowNewline: false))
        }
    }

    private mutating func parseMultilineLiteralString() throws(TOMLError) -> String {
        index += 3
        skipNewlineAfterOpeningDelimiter()
        var scalars = String.UnicodeScalarView()
        while true {
            guard let byte = peek() else { throw error("unterminated multi-line string") }
            if byte == UInt8(ascii: "'"), let quotes = try closingQuotes(UInt8(ascii: "'")) {
                for _ in 0..<quotes - 3 { scalars.append("'") }
                return String(scalars)
            }
            scalars.append(try parseStringScalar(allowNewline: true))
        }
    }

    /// At a run of `quote`s: when it closes a multi-line string (3 to 5 of them, the extra ones being content),
    /// consumes it and returns its length; otherwise consumes nothing.
    private mutating func closingQuotes(_ quote: UInt8) throws(TOMLError) -> Int? {
        var count = 0
        while peek(count) == quote { count += 1 }
        // Three quotes end the string; up to two more are content just before them, and a run of six or more
        // could only be content, which a multi-line string cannot hold unescaped.
        guard count < 6 else { throw error("too many quotes in a row in a multi-line string") }
        guard count >= 3 else { return nil }
        index += count
        return count
    }

    private mutating func skipNewlineAfterOpeningDelimiter() {
        if peek() == UInt8(ascii: "\n") {
            consumeNewline()
        } else if peek() == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") {
            index += 1
            consumeNewline()
        }
    }

    /// A `\` followed only by whitespace up to the end of the line.
    private func isLineEndingBackslash() -> Bool {
        var offset = 1
        while let byte = peek(offset), byte == 0x20 || byte == 0x09 { offset += 1 }
        return peek(offset) == UInt8(ascii: "\n") || (peek(offset) == UInt8(ascii: "\r") && peek(offset + 1) == 0x0A)
    }

    private mutating func skipWhitespaceAndNewlinesInString() throws(TOMLError) {
        while let byte = peek() {
            switch byte {
            case 0x20, 0x09: index += 1
            case UInt8(ascii: "\n"): consumeNewline()
            case UInt8(ascii: "\r") where peek(1) == UInt8(ascii: "\n"): index += 1
            default: return
            }
        }
    }

    /// One escape sequence of a basic string.
    private mutating func parseEscape() throws(TOMLError) -> Unicode.Scalar {
        let position = here()
        index += 1
        guard let byte = peek() else { throw error("unterminated string") }
        index += 1
        switch byte {
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let digitCount = byte == UInt8(ascii: "u") ? 4 : 8
            var value: UInt32 = 0
            for _ in 0..<digitCount {
                guard let digit = peek().flatMap(Self.hexDigitValue) else {
                    throw error(at: position, "\\\(Character(Unicode.Scalar(byte))) needs \(digitCount) hex digits")
                }
                value = value << 4 | UInt32(digit)
                index += 1
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw error(at: position, "escape is not a Unicode scalar value (a surrogate or above U+10FFFF)")
            }
            return scalar
        default:
            throw error(at: position, "unknown escape sequence")
        }
    }

    /// One literal character of a string: control characters other than tab (and newline where allowed) are
    /// refused, as TOML requires.
    private mutating func parseStringScalar(allowNewline: Bool) throws(TOMLError) -> Unicode.Scalar {
        let byte = bytes[index]
        if byte < 0x80 {
            if byte == UInt8(ascii: "\n") && allowNewline {
                consumeNewline()
                return "\n"
            }
            if byte == UInt8(ascii: "\r") && allowNewline && peek(1) == UInt8(ascii: "\n") {
                index += 1
                consumeNewline()
                return "\n"
            }
            guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else {
                throw error("control character U+\(Self.hex4(byte)) must be escaped in a string")
            }
            index += 1
            return Unicode.Scalar(byte)
        }
        // Validated UTF-8: decode one multi-byte sequence.
        let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 2
        var value = UInt32(byte) & (length == 4 ? 0x07 : length == 3 ? 0x0F : 0x1F)
        for offset in 1..<length { value = value << 6 | UInt32(bytes[index + offset] & 0x3F) }
        index += length
        return Unicode.Scalar(value) ?? "\u{FFFD}"
    }

    // MARK: Numbers

    private mutating func parseNumber() throws(TOMLError) -> TOMLValue {
        let position = here()
        let start = index
        while let byte = peek(), Self.isNumberTokenByte(byte) { index += 1 }
        guard index > start else { throw error("expected a value") }
        let token = String(decoding: bytes[start..<index], as: UTF8.self)
        if let integer = try integerValue(token, at: position) { return .integer(integer) }
        if let float = floatValue(token) { return .float(float) }
        throw error(at: position, "invalid value `\(token)`")
    }

    private static func isNumberTokenByte(_ byte: UInt8) -> Bool {
        isBareKeyByte(byte) || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".")
    }

    /// The integer the token spells, nil when it is not integer syntax, an error when it is but overflows.
    private func integerValue(_ token: String, at position: TOMLPosition) throws(TOMLError) -> Int64? {
        var text = Substring(token)
        var radix = 10
        var negative = false
        for (prefix, base) in [("0x", 16), ("0o", 8), ("0b", 2)] where text.hasPrefix(prefix) {
            radix = base
            text = text.dropFirst(2)
        }
        if radix == 10 {
            if text.first == "+" || text.first == "-" {
                negative = text.first == "-"
                text = text.dropFirst()
            }
            // Leading zeros are not allowed in decimal integers.
            if text.count > 1 && text.first == "0" { return nil }
        }
        guard Self.hasValidUnderscores(text), !text.isEmpty else { return nil }
        let digits = text.filter { $0 != "_" }
        guard digits.allSatisfy({ $0.isASCII && $0.hexDigitValue.map { $0 < radix } == true }) else { return nil }
        guard let magnitude = UInt64(digits, radix: radix) else {
            throw error(at: position, "integer `\(token)` is out of range")
        }
        let limit = negative ? UInt64(Int64.max) + 1 : UInt64(Int64.max)
        guard magnitude <= limit else { throw error(at: position, "integer `\(token)` is out of range") }
        if negative { return magnitude == limit ? Int64.min : -Int64(magnitude) }
        return Int64(magnitude)
    }

    /// The float the token spells (TOML grammar checked here, converted with `strtod`), nil if it is not one.
    private func floatValue(_ token: String) -> Double? {
        var text = Substring(token)
        var sign = ""
        if text.first == "+" || text.first == "-" {
            sign = text.first == "-" ? "-" : ""
            text = text.dropFirst()
        }
        if text == "inf" { return sign == "-" ? -.infinity : .infinity }
        if text == "nan" { return .nan }
        let exponentSplit = text.split(separator: "e", maxSplits: 1, omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "E", maxSplits: 1, omittingEmptySubsequences: false) }
        guard exponentSplit.count <= 2 else { return nil }
        let mantissa = exponentSplit[0]
        let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerPart = parts[0]
        guard Self.isDigitRun(integerPart), integerPart.count == 1 || integerPart.first != "0" else { return nil }
        if parts.count == 2 { guard Self.isDigitRun(parts[1]) else { return nil } }
        if exponentSplit.count == 2 {
            var exponent = exponentSplit[1]
            if exponent.first == "+" || exponent.first == "-" { exponent = exponent.dropFirst() }
            guard Self.isDigitRun(exponent) else { return nil }
        }
        guard parts.count == 2 || exponentSplit.count == 2 else { return nil }
        let cleaned = sign + text.filter { $0 != "_" }
        return cleaned.withCString { strtod($0, nil) }
    }

    private static func isDigitRun(_ text: Substring) -> Bool {
        !text.isEmpty && hasValidUnderscores(text) && text.allSatisfy { $0 == "_" || ("0"..."9").contains($0) }
    }

    /// Every `_` sits between two digits.
    private static func hasValidUnderscores(_ text: Substring) -> Bool {
        let characters = Array(text)
        for (offset, character) in characters.enumerated() where character == "_" {
            guard offset > 0, offset < characters.count - 1,
                  characters[offset - 1].isHexDigit, characters[offset + 1].isHexDigit
            else { return false }
        }
        return true
    }

    private static func hexDigitValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func hex4(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }

    // MARK: Low level

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private func matches(_ word: String) -> Bool {
        let utf8 = Array(word.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<index + utf8.count]) == utf8 else { return false }
        // `true` must not run on into a bare word such as `trueish`.
        return peek(utf8.count).map { !Self.isBareKeyByte($0) } ?? true
    }

    private mutating func expect(_ byte: UInt8, _ message: String) throws(TOMLError) {
        guard peek() == byte else { throw error(message) }
        index += 1
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 { index += 1 }
    }

    private mutating func skipComment() throws(TOMLError) {
        index += 1
        while let byte = peek(), byte != UInt8(ascii: "\n") {
            if byte == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") { return }
            guard byte == 0x09 || byte >= 0x20, byte != 0x7F else {
                throw error("control character U+\(Self.hex4(byte)) in a comment")
            }
            index += 1
        }
    }

    private mutating func skipWhitespaceCommentsAndNewlines() throws(TOMLError) {
        while true {
            skipWhitespace()
            switch peek() {
            case UInt8(ascii: "#"): try skipComment()
            case UInt8(ascii: "\n"): consumeNewline()
            case UInt8(ascii: "\r") where peek(1) == UInt8(ascii: "\n"): index += 1
            default: return
            }
        }
    }

    private mutating func consumeNewline() {
        index += 1
        line += 1
        lineStart = index
    }

    private mutating func checkUTF8() throws(TOMLError) {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var scalarStart = 0
        var scalarLine = 1
        var scalarLineStart = 0
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                let length = UTF8.width(scalar)
                if scalar == "\n" {
                    scalarLine += 1
                    scalarLineStart = offset + 1
                }
                offset += length
                scalarStart = offset
            case .emptyInput:
                return
            case .error:
                line = scalarLine
                lineStart = scalarLineStart
                index = scalarStart
                throw error("the file is not valid UTF-8")
            }
        }
    }

    /// The current position, advancing the column mark.
    private mutating func here() -> TOMLPosition {
        let position = position(from: usableMark)
        columnMark = (index, position.column)
        return position
    }

    /// The column mark if it is on the current line, else the line's start.
    private var usableMark: (index: Int, column: Int) {
        columnMark.index >= lineStart ? columnMark : (lineStart, 1)
    }

    /// Counts scalars (not UTF-8 continuation bytes) from a known column on the current line.
    private func position(from mark: (index: Int, column: Int)) -> TOMLPosition {
        let end = min(index, bytes.count)
        let start = min(mark.index, end)
        let column = bytes[start..<end].reduce(mark.column) { count, byte in byte & 0xC0 == 0x80 ? count : count + 1 }
        return TOMLPosition(line: line, column: column)
    }

    private func error(_ message: String) -> TOMLError {
        TOMLError(position: position(from: usableMark), message: message)
    }

    private func error(at position: TOMLPosition, _ message: String) -> TOMLError {
        TOMLError(position: position, message: message)
    }
}

/// A document that is not valid TOML (or uses a part this reader refuses), with where.
package struct TOMLError: Error, Hashable, Sendable, CustomStringConvertible {
    package var position: TOMLPosition
    package var message: String

    /// `line:column: message`.
    package var description: String { "\(position): \(message)" }
}
