/// Edits the text of `config.toml` in place: a change to the configuration becomes edits of the few bytes that
/// hold what changed, so the user's comments, blank lines, key order and keys this tool does not know stay as
/// they were. A `[[servers]]` entry whose URL stays is edited value by value; a new entry goes after the last
/// existing one (or at the end); a removed entry's lines go.
enum ConfigDocument {
    /// The text of `bytes` (parsed as `old`) changed to say `new`. Empty `bytes` (no file yet) gives
    /// `new.tomlText`.
    static func edit(_ bytes: [UInt8], from old: ConclaveConfig, to new: ConclaveConfig, path: String)
        throws(ConfigError) -> [UInt8] {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return Array(new.tomlText.utf8)
        }
        let root: TOMLTable
        do {
            root = try TOMLReader.parse(bytes)
        } catch {
            throw ConfigError(path: path, position: error.position, message: error.message)
        }
        var edits = Edits(bytes: bytes)
        if old.defaultPermission != new.defaultPermission {
            let value = TOMLWriter.quoted(new.defaultPermission.rawValue)
            if let range = root.valueRanges["default_permission"] {
                edits.replace(range, with: value)
            } else {
                edits.insert("default_permission = \(value)\n", at: rootInsertionPoint(root, bytes: bytes))
            }
        }
        editEntries(
            "servers", in: root, from: old.servers, to: new.servers, edits: &edits,
            fields: { [("url", $0.url), ("username", $0.username), ("machine", $0.machine)] },
            block: \.tomlBlock)
        editEntries(
            "overrides", in: root, from: old.overrides, to: new.overrides, edits: &edits,
            fields: { [("server", $0.server), ("channel", $0.channel), ("level", $0.level.rawValue)] },
            block: \.tomlBlock)
        return edits.applied()
    }

    /// Where a new top-level key goes: after the last one, else before the first table header, else at the end.
    private static func rootInsertionPoint(_ root: TOMLTable, bytes: [UInt8]) -> Int {
        if let end = root.sectionEnd { return end }
        let headers = root.keys.compactMap { key -> TOMLTable? in
            switch root[key] {
            case .table(let table)?: table
            case .array(let elements)?: if case .table(let table)? = elements.first { table } else { nil }
            default: nil
            }
        }
        return headers.flatMap(sections).map(\.lowerBound).min() ?? bytes.count
    }

    /// Edits the array of tables `key` (`[[key]]` blocks, or an inline array) from `old` to `new`.
    private static func editEntries<Entry: Equatable>(
        _ key: String, in root: TOMLTable, from old: [Entry], to new: [Entry], edits: inout Edits,
        fields: (Entry) -> [(String, String?)], block: (Entry) -> String
    ) {
        let tables: [TOMLTable]
        switch root[key] {
        case nil:
            tables = []
        case .array(let elements)? where elements.isEmpty:
            // `key = []`, which older versions wrote: it means no entries, and it would make the user's own
            // `[[key]]` a redefinition, so it goes whenever the file is written.
            if let lines = root.lineRanges[key] { edits.replace(lines, with: "") }
            tables = []
        case .array(let elements)?:
            tables = elements.compactMap { if case .table(let table) = $0 { table } else { nil } }
            guard tables.count == elements.count, tables.allSatisfy({ $0.headerRange != nil }) else {
                // An inline array (`key = [{...}]`): rewritten whole, still as an inline array.
                if old != new, let range = root.valueRanges[key] {
                    edits.replace(range, with: inlineArray(new, fields))
                }
                return
            }
        default:
            return
        }
        guard tables.count == old.count else { return }
        // New entries go after the last existing one, else at the end of the file.
        let appendPoint = tables.last.flatMap(entryEnd) ?? edits.bytes.count
        var (i, j) = (0, 0)
        while i < old.count || j < new.count {
            if i < old.count, j < new.count, old[i] == new[j] {
                i += 1
                j += 1
                continue
            }
            let oldStays = i < old.count && new[j...].contains(old[i])
            let newExisted = j < new.count && old[i...].contains(new[j])
            if i < old.count, j < new.count, !oldStays, !newExisted {
                replaceFields(of: tables[i], from: fields(old[i]), to: fields(new[j]), edits: &edits)
                i += 1
                j += 1
            } else if i < old.count, !oldStays || j == new.count || newExisted {
                delete(tables[i], edits: &edits)
                i += 1
            } else if i < old.count {
                edits.insert(block(new[j]) + "\n", at: tables[i].headerRange?.lowerBound ?? 0)
                j += 1
            } else {
                edits.insert("\n" + block(new[j]), at: appendPoint)
                j += 1
            }
        }
    }

    private static func replaceFields(
        of table: TOMLTable, from old: [(String, String?)], to new: [(String, String?)], edits: inout Edits
    ) {
        for ((key, before), (_, after)) in zip(old, new) where before != after {
            switch (table.valueRanges[key], table.lineRanges[key], after) {
            case (let range?, _, let value?):
                edits.replace(range, with: TOMLWriter.quoted(value))
            case (_, let lines?, nil):
                edits.replace(lines, with: "")
            case (nil, _, let value?):
                edits.insert("\(key) = \(TOMLWriter.quoted(value))\n", at: table.sectionEnd ?? 0)
            default:
                break
            }
        }
    }

    /// Removes an entry's header and lines, and those of its sub-tables, with the blank lines just before it.
    private static func delete(_ table: TOMLTable, edits: inout Edits) {
        for section in sections(of: table) {
            var start = section.lowerBound
            while start > 0, let lineBegin = previousBlankLine(before: start, in: edits.bytes) { start = lineBegin }
            edits.replace(start..<section.upperBound, with: "")
        }
    }

    /// The start of the line before `offset` (itself at a line start) when that line is blank.
    private static func previousBlankLine(before offset: Int, in bytes: [UInt8]) -> Int? {
        guard offset > 0, bytes[offset - 1] == 0x0A else { return nil }
        var start = offset - 1
        while start > 0, bytes[start - 1] != 0x0A {
            guard bytes[start - 1] == 0x20 || bytes[start - 1] == 0x09 || bytes[start - 1] == 0x0D else { return nil }
            start -= 1
        }
        return start
    }

    /// Each `[header]` section of the table and of the tables inside it.
    private static func sections(of table: TOMLTable) -> [Range<Int>] {
        var result: [Range<Int>] = []
        if let header = table.headerRange {
            result.append(header.lowerBound..<(table.sectionEnd ?? header.upperBound))
        }
        for key in table.keys {
            switch table[key] {
            case .table(let child)?: result += sections(of: child)
            case .array(let elements)?:
                for case .table(let child) in elements { result += sections(of: child) }
            default: break
            }
        }
        return result
    }

    private static func entryEnd(_ table: TOMLTable) -> Int? { sections(of: table).map(\.upperBound).max() }

    private static func inlineArray<Entry>(_ entries: [Entry], _ fields: (Entry) -> [(String, String?)]) -> String {
        let tables = entries.map { entry in
            "{ " + fields(entry).compactMap { key, value in value.map { "\(key) = \(TOMLWriter.quoted($0))" } }
                .joined(separator: ", ") + " }"
        }
        return tables.isEmpty ? "[]" : "[\n" + tables.map { "    \($0),\n" }.joined() + "]"
    }

    /// Replacements of byte ranges of the original text, applied together at the end.
    private struct Edits {
        let bytes: [UInt8]
        private var changes: [(range: Range<Int>, text: String)] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func replace(_ range: Range<Int>, with text: String) { changes.append((range, text)) }

        /// Inserts whole lines at a line start, first ending an unterminated last line.
        mutating func insert(_ text: String, at offset: Int) {
            let needsNewline = offset > 0 && offset == bytes.count && bytes[offset - 1] != 0x0A
            changes.append((offset..<offset, (needsNewline ? "\n" : "") + text))
        }

        /// Later changes first, so earlier offsets stay valid; at one offset a removal before an insertion, and
        /// insertions in the order they were made.
        func applied() -> [UInt8] {
            var result = bytes
            let ordered = changes.enumerated().sorted { lhs, rhs in
                if lhs.element.range.lowerBound != rhs.element.range.lowerBound {
                    return lhs.element.range.lowerBound > rhs.element.range.lowerBound
                }
                if lhs.element.range.isEmpty != rhs.element.range.isEmpty { return !lhs.element.range.isEmpty }
                return lhs.offset > rhs.offset
            }
            for (_, change) in ordered {
                result.replaceSubrange(change.range, with: Array(change.text.utf8))
            }
            return result
        }
    }
}
