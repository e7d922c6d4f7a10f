internal import CSQLite

/// A value bound to a statement parameter.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null

    /// An integer, or SQL NULL for `nil`.
    static func optionalInteger(_ value: Int64?) -> SQLiteValue {
        value.map { .integer($0) } ?? .null
    }
}

/// One prepared statement, finalized in `deinit`.
///
/// Every use binds all parameters, steps to completion and resets, so a cached statement never keeps a
/// read transaction open between calls (which would pin the WAL and stall checkpoints).
final class SQLiteStatement {
    private let handle: OpaquePointer

    /// Takes ownership of a statement prepared by ``SQLiteConnection``.
    init(owning handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Runs the statement with `values` bound to `?1`, `?2`, … and maps every result row.
    func rows<Row>(_ values: [SQLiteValue], _ map: (SQLiteRow) -> Row) throws(StoreError) -> [Row] {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        try bind(values)
        var result: [Row] = []
        while try step() {
            result.append(map(SQLiteRow(handle: handle)))
        }
        return result
    }

    /// Runs the statement and maps its first row, if any.
    func firstRow<Row>(_ values: [SQLiteValue], _ map: (SQLiteRow) -> Row) throws(StoreError) -> Row? {
        try rows(values, map).first
    }

    /// Runs a statement whose result rows, if any, are not needed.
    func run(_ values: [SQLiteValue] = []) throws(StoreError) {
        _ = try rows(values) { _ in () }
    }

    private func step() throws(StoreError) -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: true
        case SQLITE_DONE: false
        case let status: throw SQLiteConnection.error(status, database: sqlite3_db_handle(handle))
        }
    }

    private func bind(_ values: [SQLiteValue]) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let status = switch value {
            case .integer(let number): sqlite3_bind_int64(handle, index, number)
            case .null: sqlite3_bind_null(handle, index)
            case .text(let text): bind(text, at: index)
            case .blob(let bytes): bind(bytes, at: index)
            }
            guard status == SQLITE_OK else {
                throw SQLiteConnection.error(status, database: sqlite3_db_handle(handle))
            }
        }
    }

    /// Binds with an explicit byte length, so text with NUL bytes is stored whole, not cut at the first NUL.
    private func bind(_ text: String, at index: Int32) -> Int32 {
        var text = text
        let encoding = UInt8(SQLITE_UTF8)
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress else {
                    return sqlite3_bind_text64(handle, index, "", 0, Self.transient, encoding)
                }
                return sqlite3_bind_text64(handle, index, base, UInt64(chars.count), Self.transient, encoding)
            }
        }
    }

    /// An empty array has no base address, and binding a null pointer would store SQL NULL, not an empty blob.
    private func bind(_ bytes: [UInt8], at index: Int32) -> Int32 {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, !raw.isEmpty else {
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob64(handle, index, base, UInt64(raw.count), Self.transient)
        }
    }

    /// `SQLITE_TRANSIENT` (SQLite copies the bytes before the bind returns) is a cast macro Swift cannot import.
    private static var transient: sqlite3_destructor_type {
        unsafeBitCast(-1, to: sqlite3_destructor_type.self)
    }
}

/// The current result row of a statement being stepped; valid only inside the mapping closure.
struct SQLiteRow {
    fileprivate let handle: OpaquePointer

    func integer(_ column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    func optionalInteger(_ column: Int32) -> Int64? {
        sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : integer(column)
    }

    /// Reads the stored byte length, so embedded NUL bytes survive.
    func text(_ column: Int32) -> String {
        guard let start = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    }

    /// A zero-length blob reads back as a null pointer, hence the empty array.
    func blob(_ column: Int32) -> [UInt8] {
        guard let start = sqlite3_column_blob(handle, column) else { return [] }
        let count = Int(sqlite3_column_bytes(handle, column))
        return Array(UnsafeRawBufferPointer(start: start, count: count))
    }
}
