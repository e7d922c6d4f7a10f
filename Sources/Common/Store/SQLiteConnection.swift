internal import CSQLite

/// One open SQLite database handle, closed in `deinit`, with a cache of prepared statements.
///
/// Opened without SQLite's own mutex: each connection is used from one thread only (the store's from the event
/// loop, the checkpointer's from its own thread).
final class SQLiteConnection {
    private let handle: OpaquePointer
    /// Statements keyed by their SQL text. The store's SQL is a fixed set of literals, so this stays small.
    private var cache: [String: SQLiteStatement] = [:]

    /// Opens (creating if missing) the database at `path`, or an in-memory one for `":memory:"`.
    init(path: String) throws(StoreError) {
        var opened: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        let status = sqlite3_open_v2(path, &opened, flags, nil)
        guard status == SQLITE_OK, let opened else {
            let reason = opened.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
            sqlite3_close_v2(opened)
            throw StoreError(.unavailable, "cannot open database \(path): \(reason)")
        }
        handle = opened
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        // Statements first: a handle with live statements would linger as a zombie until they are finalized.
        cache.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The cached statement for `sql`, prepared on first use.
    func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = cache[sql] { return cached }
        let prepared = try prepare(sql, flags: UInt32(SQLITE_PREPARE_PERSISTENT))
        cache[sql] = prepared
        return prepared
    }

    /// A statement for one-off use (start-up pragmas and checks); not cached.
    func prepare(_ sql: String, flags: UInt32 = 0) throws(StoreError) -> SQLiteStatement {
        var prepared: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, flags, &prepared, nil)
        guard status == SQLITE_OK, let prepared else {
            sqlite3_finalize(prepared)
            throw Self.error(status, database: handle)
        }
        return SQLiteStatement(owning: prepared)
    }

    /// Runs a script of one or more statements without results (schema migrations).
    func execute(_ script: String) throws(StoreError) {
        let status = sqlite3_exec(handle, script, nil, nil, nil)
        guard status == SQLITE_OK else { throw Self.error(status, database: handle) }
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE.
    var changes: Int {
        Int(sqlite3_changes64(handle))
    }

    /// Runs `body` in a write transaction (taken at once, so no other writer can interleave) and commits;
    /// rolls back when `body` or the commit fails.
    func transaction<Result>(_ body: () throws(StoreError) -> Result) throws(StoreError) -> Result {
        try statement("BEGIN IMMEDIATE").run()
        do throws(StoreError) {
            let result = try body()
            try statement("COMMIT").run()
            return result
        } catch {
            // Some failures (disk full, I/O) already rolled back; a second ROLLBACK would only add noise.
            if sqlite3_get_autocommit(handle) == 0 {
                _ = try? statement("ROLLBACK").run()
            }
            throw error
        }
    }

    /// Maps an SQLite result code to a store error carrying SQLite's own message, as upstream's
    /// `internal` replies do.
    static func error(_ status: Int32, database: OpaquePointer?) -> StoreError {
        let message = database.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(status))
        let code: StoreError.Code = status & 0xff == SQLITE_CONSTRAINT ? .constraint : .engine
        return StoreError(code, message)
    }
}
