internal import CPostgres
internal import CPostgresLoader
internal import Glibc

/// One libpq connection to a PostgreSQL server, closed in `deinit`.
///
/// Like libpq's own, a connection is used from one thread at a time. Statements run one at a time and block until
/// their result is in. Failures are ``StoreError``s carrying PostgreSQL's primary message: SQLSTATE class 23
/// (unique, foreign-key, not-null and check violations) is `constraint`, a lost or refused connection
/// `unavailable`, anything else `engine`.
package final class PostgresConnection {
    private let handle: OpaquePointer
    /// Statements that set the session up, run again after a reconnection.
    private let setup: [String]

    /// Connects to `url`, a `postgres://` or `postgresql://` URL or a libpq `key=value` string, and runs `setup`;
    /// the session speaks UTF-8. A failure is `unavailable` with libpq's message.
    package init(url: String, setup: [String] = []) throws(StoreError) {
        try Self.loadLibrary()
        guard let opened = Self.connect(url) else {
            throw StoreError(.unavailable, "cannot connect to PostgreSQL: out of memory")
        }
        guard PQstatus(opened) == CONNECTION_OK, PQsetClientEncoding(opened, "UTF8") == 0 else {
            let reason = Self.message(of: opened)
            PQfinish(opened)
            throw StoreError(.unavailable, "cannot connect to PostgreSQL: \(reason)")
        }
        // libpq prints notices (such as "relation already exists, skipping") to stderr by default.
        PQsetNoticeProcessor(opened, { _, _ in }, nil)
        handle = opened
        self.setup = setup
        for statement in setup { try execute(statement) }
    }

    deinit { PQfinish(handle) }

    /// libpq is loaded with the first connection, not at start-up (see `CPostgresLoader`).
    private static func loadLibrary() throws(StoreError) {
        var reason = [CChar](repeating: 0, count: 256)
        guard cpostgres_load(&reason, reason.count) == 0 else {
            let bytes = reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
            throw StoreError(.unavailable, String(decoding: bytes, as: UTF8.self))
        }
    }

    /// Defaults under what `url` says: every call waits, so a database host that drops packets must not hold the
    /// server's core for the operating system's minutes, at connection nor later.
    private static let defaults: [(keyword: String, value: String)] = [
        ("connect_timeout", "10"), ("keepalives_idle", "10"), ("keepalives_interval", "5"),
        ("keepalives_count", "3"), ("tcp_user_timeout", "30000"),
    ]

    /// `PQconnectdbParams` with the defaults first and `url` expanded after them, so the URL's own settings win.
    private static func connect(_ url: String) -> OpaquePointer? {
        let keywords = defaults.map(\.keyword) + ["dbname"]
        let values = defaults.map(\.value) + [url]
        return withCStrings(keywords) { keywordPointers in
            withCStrings(values) { valuePointers in PQconnectdbParams(keywordPointers, valuePointers, 1) }
        }
    }

    /// Hands `body` a NULL-terminated array of C strings that live for the call.
    private static func withCStrings<Result>(
        _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> Result
    ) -> Result {
        let duplicates = strings.map { strdup($0) }
        defer { duplicates.forEach { free($0) } }
        let pointers: [UnsafePointer<CChar>?] = duplicates.map { $0.map { UnsafePointer($0) } } + [nil]
        return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    /// Runs one statement with parameters `$1`, `$2`, … (`nil` is SQL NULL) and returns its rows, empty for a
    /// statement without results.
    @discardableResult
    package func execute(_ sql: String, _ parameters: [PostgresValue?] = []) throws(StoreError) -> PostgresRows {
        try reconnectIfLost()
        let encoded = try PostgresParameters(parameters)
        let result = encoded.withArrays { types, values, lengths, formats in
            PQexecParams(handle, sql, encoded.count, types, values, lengths, formats, 1)
        }
        return try rows(of: result)
    }

    /// A connection the database dropped (a restart, a network cut) is opened again before the next statement:
    /// the statement that met the loss failed `unavailable`, the ones after it work once the database is back.
    private func reconnectIfLost() throws(StoreError) {
        guard PQstatus(handle) == CONNECTION_BAD else { return }
        PQreset(handle)
        guard PQstatus(handle) == CONNECTION_OK, PQsetClientEncoding(handle, "UTF8") == 0 else {
            throw StoreError(.unavailable, "cannot reconnect to PostgreSQL: \(Self.message(of: handle))")
        }
        for statement in setup { try execute(statement) }
    }

    /// Runs a script of statements without parameters or results (the schema), in text form.
    func executeScript(_ script: String) throws(StoreError) {
        try reconnectIfLost()
        try rows(of: PQexec(handle, script))
    }

    /// Runs `body` between BEGIN and COMMIT; rolls back when `body` or the commit fails.
    package func transaction<Result>(_ body: () throws(StoreError) -> Result) throws(StoreError) -> Result {
        try execute("BEGIN")
        do throws(StoreError) {
            let result = try body()
            // COMMIT of a transaction in which a statement failed (its error caught in `body`) rolls back quietly.
            guard try execute("COMMIT").commandStatus == "COMMIT" else {
                throw StoreError(.engine, "the transaction was rolled back after a failed statement")
            }
            return result
        } catch {
            if PQtransactionStatus(handle) != PQTRANS_IDLE {
                _ = try? execute("ROLLBACK")
            }
            throw error
        }
    }

    /// The connection's socket, to wait for readability (notifications) in an event loop.
    package var socketDescriptor: Int32 {
        PQsocket(handle)
    }

    /// Reads what the server has sent without blocking and returns the notifications received so far (of `LISTEN`ed
    /// channels), oldest first; empty when there are none.
    package func takeNotifications() throws(StoreError) -> [PostgresNotification] {
        guard PQconsumeInput(handle) == 1 else {
            throw StoreError(.unavailable, Self.message(of: handle))
        }
        var taken: [PostgresNotification] = []
        while let notification = PQnotifies(handle) {
            taken.append(
                PostgresNotification(
                    channel: String(cString: notification.pointee.relname),
                    payload: String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return taken
    }

    @discardableResult
    private func rows(of result: OpaquePointer?) throws(StoreError) -> PostgresRows {
        guard let result else {
            throw StoreError(.unavailable, Self.message(of: handle))
        }
        let owned = PostgresResult(owning: result)
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw error(of: result)
        }
        return PostgresRows(owned)
    }

    private func error(of result: OpaquePointer) -> StoreError {
        let state = PQresultErrorField(result, CPOSTGRES_DIAG_SQLSTATE).map { String(cString: $0) } ?? ""
        let message = PQresultErrorField(result, CPOSTGRES_DIAG_MESSAGE_PRIMARY).map { String(cString: $0) }
            ?? Self.message(of: handle)
        if state.hasPrefix("23") {
            return StoreError(.constraint, message)
        }
        // Class 08 is a connection exception; a result without SQLSTATE on a dead connection is libpq's own.
        if state.hasPrefix("08") || PQstatus(handle) != CONNECTION_OK {
            return StoreError(.unavailable, message)
        }
        return StoreError(.engine, message)
    }

    /// libpq's last message on `connection` as one line: its lines (a reason, then an indented hint) joined.
    private static func message(of connection: OpaquePointer) -> String {
        let text = PQerrorMessage(connection).map { String(cString: $0) } ?? ""
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingPrefix(while: \.isWhitespace) }
        return lines.isEmpty ? "unknown libpq error" : lines.joined(separator: " ")
    }
}
