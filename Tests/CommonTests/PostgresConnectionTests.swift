import Glibc
import Testing
import PostgresFixture
@testable import ConclaveStore

/// The libpq wrapper against a real server: values both ways, errors by SQLSTATE class, transactions, NOTIFY.
@Suite struct PostgresConnectionTests {
    private func withConnection(_ body: (PostgresConnection) throws -> Void) throws {
        try body(PostgresConnection(url: try TemporaryPostgres.shared().makeDatabase()))
    }

    @Test func parametersAndResultsRoundTrip() throws {
        try withConnection { connection in
            var bytes = [UInt8](repeating: 0, count: 70_000)
            for index in bytes.indices { bytes[index] = UInt8(truncatingIfNeeded: index) }
            let rows = try connection.execute(
                "SELECT $1::text, $2::int8, $3::bytea, $4::bool, $5::int8, $6::int4, $7::int2, $8::bytea",
                [.text("ünï 😀"), .integer(.min), .bytes(bytes), .boolean(true), nil, .integer(-2), .integer(300),
                 .bytes([])])
            #expect(rows.count == 1)
            let row = rows[0]
            #expect(row.text(0) == "ünï 😀")
            #expect(row.integer(1) == .min)
            #expect(row.bytes(2) == bytes)
            #expect(row.boolean(3))
            #expect(row.isNull(4) && !row.isNull(3))
            #expect(row.integer(5) == -2)
            #expect(row.integer(6) == 300)
            #expect(row.bytes(7) == [])
        }
    }

    @Test func errorsAreClassifiedBySQLState() throws {
        try withConnection { connection in
            try connection.execute("CREATE TABLE t (k int8 PRIMARY KEY, parent int8 REFERENCES t (k))")
            try connection.execute("INSERT INTO t (k) VALUES ($1)", [.integer(1)])
            let duplicate = #expect(throws: StoreError.self) {
                try connection.execute("INSERT INTO t (k) VALUES ($1)", [.integer(1)])
            }
            #expect(duplicate?.code == .constraint)
            #expect(duplicate?.message == "duplicate key value violates unique constraint \"t_pkey\"")
            let orphan = #expect(throws: StoreError.self) {
                try connection.execute("INSERT INTO t (k, parent) VALUES (2, 99)")
            }
            #expect(orphan?.code == .constraint)
            let syntax = #expect(throws: StoreError.self) { try connection.execute("SELEC 1") }
            #expect(syntax?.code == .engine)
            #expect(syntax?.message == "syntax error at or near \"SELEC\"")
            let nul = #expect(throws: StoreError.self) { try connection.execute("SELECT $1", [.text("a\u{0}")]) }
            #expect(nul?.code == .engine)
            #expect(try connection.execute("DELETE FROM t").affectedRows == 1)
        }
    }

    @Test func aFailedTransactionRollsBack() throws {
        try withConnection { connection in
            try connection.execute("CREATE TABLE t (k int8 PRIMARY KEY)")
            #expect(throws: StoreError.self) {
                try connection.transaction { () throws(StoreError) in
                    try connection.execute("INSERT INTO t VALUES (1)")
                    try connection.execute("INSERT INTO t VALUES (1)")
                }
            }
            // An error swallowed inside the body still fails the commit.
            #expect(throws: StoreError.self) {
                try connection.transaction { () throws(StoreError) in
                    try connection.execute("INSERT INTO t VALUES (2)")
                    _ = try? connection.execute("INSERT INTO t VALUES (2)")
                }
            }
            let sum = try connection.transaction { () throws(StoreError) -> Int64 in
                try connection.execute("INSERT INTO t VALUES (3)")
                return try connection.execute("SELECT sum(k)::int8 FROM t")[0].integer(0)
            }
            #expect(sum == 3)
            #expect(try connection.execute("SELECT k FROM t").map { $0.integer(0) } == [3])
        }
    }

    @Test func aListeningConnectionTakesNotifications() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let listener = try PostgresConnection(url: url)
        let sender = try PostgresConnection(url: url)
        try listener.execute("LISTEN news")
        #expect(try listener.takeNotifications().isEmpty)
        #expect(listener.socketDescriptor >= 0)
        try sender.execute("SELECT pg_notify('news', $1)", [.text("one")])
        try sender.execute("NOTIFY news")
        var received: [PostgresNotification] = []
        for _ in 0..<200 where received.count < 2 {
            received += try listener.takeNotifications()
            if received.count < 2 { usleep(10_000) }
        }
        #expect(received == [.init(channel: "news", payload: "one"), .init(channel: "news", payload: "")])
    }

    @Test func aRefusedConnectionIsUnavailable() throws {
        let error = #expect(throws: StoreError.self) {
            try PostgresConnection(url: "postgres://postgres@127.0.0.1:1/none?connect_timeout=2")
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("cannot connect to PostgreSQL: ") == true)
    }
}
