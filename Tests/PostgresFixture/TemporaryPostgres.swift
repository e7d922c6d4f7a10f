#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import ConclavePOSIX
import ConclaveStore

/// A throwaway PostgreSQL server for tests: `initdb` into a fresh folder (trust authentication, UTF-8, C locale),
/// started on a free loopback port, stopped (`pg_ctl stop -m immediate`) and removed with its folder when released.
///
/// Starting one takes a second or two, so a test process shares one (``shared()``), stopped at exit, and each test
/// takes a database of its own (``makeDatabase()``). PostgreSQL refuses to run as root; under root the server runs as
/// the `postgres` user, which owns the folder. A watchdog process stops the server and removes the folder if the
/// test process dies without doing so.
package final class TemporaryPostgres: Sendable {
    /// The loopback TCP port the server listens on.
    package let port: Int
    private let folder: String
    private let binDirectory: String
    private let databaseCount = Atomic<Int>(0)

    /// The process-wide server, started on first use and stopped when the process exits.
    package static func shared() throws -> TemporaryPostgres {
        try sharedServer.withLock { shared in
            if let shared { return shared }
            let started = try TemporaryPostgres()
            shared = started
            atexit { TemporaryPostgres.sharedServer.withLock { $0 = nil } }
            return started
        }
    }

    private static let sharedServer = ProcessWideLock<TemporaryPostgres?>(nil)

    /// Starts a server of its own, stopped when this value is released.
    package init() throws {
        binDirectory = try PostgresFixtureProcess.binDirectory()
        folder = try PostgresFixtureProcess.makeFolder()
        do {
            try PostgresFixtureProcess.startWatchdog(folder: folder, binDirectory: binDirectory)
            try Self.initialize(folder: folder, binDirectory: binDirectory)
            port = try Self.start(folder: folder, binDirectory: binDirectory)
        } catch {
            PostgresFixtureProcess.remove(folder)
            throw error
        }
    }

    deinit {
        _ = try? PostgresFixtureProcess.run(
            binDirectory + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"],
            log: folder + "/ctl.log")
        PostgresFixtureProcess.remove(folder)
    }

    /// Stops the server as an outage would (`pg_ctl stop -m fast`: sessions are cut), keeping its data.
    package func stop() throws {
        let status = try PostgresFixtureProcess.run(
            binDirectory + "/pg_ctl", ["-D", folder + "/data", "-m", "fast", "-w", "-t", "30", "stop"],
            log: folder + "/ctl.log")
        guard status == 0 else { throw PostgresFixtureError("pg_ctl stop failed (\(status))") }
    }

    /// Starts the stopped server again on its port.
    package func restart() throws {
        let status = try PostgresFixtureProcess.run(
            binDirectory + "/pg_ctl",
            ["-D", folder + "/data", "-l", folder + "/server.log", "-o", Self.options(folder: folder, port: port),
             "-w", "-t", "30", "start"],
            log: folder + "/ctl.log")
        guard status == 0 else {
            let log = PostgresFixtureProcess.tail(folder + "/server.log")
            throw PostgresFixtureError("PostgreSQL did not restart: \(log)")
        }
    }

    /// The URL of a new, empty database on this server (`postgres://postgres@127.0.0.1:PORT/dbN`).
    package func makeDatabase() throws -> String {
        let name = "db\(databaseCount.add(1, ordering: .relaxed).newValue)"
        let admin = try PostgresConnection(url: url(database: "postgres"))
        try admin.execute("CREATE DATABASE \(name)")
        return url(database: name)
    }

    /// Runs `sql` on the database at `url` (a test's shortcut past the server, such as filling a table).
    package static func execute(_ sql: String, on url: String) throws {
        _ = try PostgresConnection(url: url).execute(sql)
    }

    /// The URL of `database` on this server.
    package func url(database: String) -> String {
        "postgres://postgres@127.0.0.1:\(port)/\(database)"
    }

    private static func initialize(folder: String, binDirectory: String) throws {
        let status = try PostgresFixtureProcess.run(
            binDirectory + "/initdb",
            ["-D", folder + "/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"],
            log: folder + "/initdb.log")
        guard status == 0 else {
            let log = PostgresFixtureProcess.tail(folder + "/initdb.log")
            throw PostgresFixtureError("initdb failed (\(status)): \(log)")
        }
    }

    private static func options(folder: String, port: Int) -> String {
        "-k \(folder)/socket -p \(port) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
            + " -c full_page_writes=off"
    }

    /// Starts the server on a free port, trying another port if one was taken between choosing and binding it.
    private static func start(folder: String, binDirectory: String) throws -> Int {
        var lastLog = ""
        for _ in 0..<3 {
            let port = try PostgresFixtureProcess.freePort()
            let options = Self.options(folder: folder, port: port)
            // -w -t 30: pg_ctl returns once the server accepts connections, or gives up after 30 s.
            let status = try PostgresFixtureProcess.run(
                binDirectory + "/pg_ctl",
                ["-D", folder + "/data", "-l", folder + "/server.log", "-o", options, "-w", "-t", "30", "start"],
                log: folder + "/ctl.log")
            if status == 0 { return port }
            lastLog = PostgresFixtureProcess.tail(folder + "/server.log")
            _ = try? PostgresFixtureProcess.run(
                binDirectory + "/pg_ctl", ["-D", folder + "/data", "-m", "immediate", "-w", "stop"],
                log: folder + "/ctl.log")
        }
        throw PostgresFixtureError("PostgreSQL did not start: \(lastLog)")
    }
}

/// A failure to set up the test server.
package struct PostgresFixtureError: Error, CustomStringConvertible {
    package var description: String

    init(_ description: String) {
        self.description = description
    }
}
