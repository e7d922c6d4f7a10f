import Glibc
import PostgresFixture
import Testing
@testable import ConclavePOSIX

/// A real `conclave-serve` for a test: a `ToolProcess` with its state in a `Sandbox` of its own, stderr to a
/// file there (so a chatty server never blocks on a full pipe), port read from its "listening on" line. It is
/// killed at the latest when the value is released; the sandbox goes when the last server using it does.
///
/// With `CONCLAVE_TEST_DEPLOYMENT=N` (N > 1) a server made by `init(_:storage:)` with `.memory` or `.dataDirectory`
/// storage is a deployment instead: N instances with the same arguments on a new database of the test process's
/// PostgreSQL behind `scripts/round-robin-proxy.py`, which hands each connection to the next instance, and whose
/// port is the server's (issue 16: clients spread over the instances must see one server). A test of what is one
/// process's own (its log, data directory, restarts, per-instance limits) runs only against one server,
/// `.singleServer(reason)`; a check of one process's /metrics is skipped in a deployment, the rest of its test
/// runs. TLS, `.xdgDefault` and `.postgres` servers are always one process.
final class ServeProcess {
    /// Where a test server keeps its state.
    enum Storage {
        /// `--ephemeral`.
        case memory
        /// `--data-dir DIRECTORY/data`.
        case dataDirectory
        /// No storage flag: the default directory under `XDG_DATA_HOME=DIRECTORY/xdg`.
        case xdgDefault
        /// `--store URL`: a PostgreSQL database.
        case postgres(String)
    }

    let sandbox: Sandbox
    let storage: Storage
    var directory: String { sandbox.home }
    /// The server's data directory (inside `directory`), nil in memory.
    var dataDirectory: String? {
        switch storage {
        case .memory, .postgres: nil
        case .dataDirectory: directory + "/data"
        case .xdgDefault: directory + "/xdg/conclave"
        }
    }
    private(set) var port: UInt16 = 0
    /// The one server, or a deployment's instances.
    private let instances: [ToolProcess]
    private let logPaths: [String]
    /// A deployment's round-robin proxy, once its instances listen.
    private var proxy: ToolProcess?
    /// Counts restarts on one directory, so that each server has a log of its own.
    private let generation: Int

    /// How many instances the tests' servers are (`CONCLAVE_TEST_DEPLOYMENT`, 1 when unset).
    static let deploymentSize = getenv("CONCLAVE_TEST_DEPLOYMENT").flatMap { Int(String(cString: $0)) } ?? 1
    /// Whether the tests run against a deployment of several instances rather than one server.
    static var isDeployment: Bool { deploymentSize > 1 }

    /// Starts `conclave-serve --bind 127.0.0.1:0` with `arguments` and waits (at most 10 s) for its "listening
    /// on" line.
    convenience init(_ arguments: [String] = [], storage: Storage = .memory) throws {
        switch storage {
        case .memory where Self.isDeployment, .dataDirectory where Self.isDeployment:
            try self.init(deploymentOf: Self.deploymentSize, arguments: arguments)
        default:
            try self.init(sandbox: Sandbox(), generation: 0, arguments: arguments, storage: storage)
        }
        try waitUntilListening()
    }

    /// A new server on the same data directory (a restart).
    convenience init(restarting previous: ServeProcess, arguments: [String] = []) throws {
        guard previous.proxy == nil else { throw ToolProcessError(description: "a deployment is not restarted") }
        try self.init(
            sandbox: previous.sandbox, generation: previous.generation + 1, arguments: arguments,
            storage: previous.storage)
        try waitUntilListening()
    }

    /// `count` servers started at once, so that their start-ups overlap, each waited for as `init` does.
    static func several(_ count: Int, _ arguments: [String] = [], storage: Storage) throws -> [ServeProcess] {
        let servers = try (0..<count).map { _ in
            try ServeProcess(sandbox: Sandbox(), generation: 0, arguments: arguments, storage: storage)
        }
        for server in servers { try server.waitUntilListening() }
        return servers
    }

    private init(sandbox: Sandbox, generation: Int, arguments: [String], storage: Storage) throws {
        self.sandbox = sandbox
        self.generation = generation
        self.storage = storage
        let logPath = sandbox.path("stderr-\(generation).log")
        logPaths = [logPath]
        var flags: [String] = []
        var environment: [String: String] = [:]
        switch storage {
        case .memory: flags = ["--ephemeral"]
        case .dataDirectory: flags = ["--data-dir", sandbox.path("data")]
        case .xdgDefault: environment["XDG_DATA_HOME"] = sandbox.path("xdg")
        case .postgres(let url): flags = ["--store", url]
        }
        instances = [
            try ToolProcess(
                ToolProcess.binary("conclave-serve"), arguments: ["--bind", "127.0.0.1:0"] + flags + arguments,
                environment: Self.environment(environment), stderrFile: logPath)
        ]
    }

    /// `count` instances on a new database, started at once; the proxy comes once they listen.
    private init(deploymentOf count: Int, arguments: [String]) throws {
        let sandbox = try Sandbox()
        let database = try TemporaryPostgres.shared().makeDatabase()
        self.sandbox = sandbox
        generation = 0
        storage = .postgres(database)
        logPaths = (0..<count).map { sandbox.path("instance-\($0).log") }
        instances = try logPaths.map { logPath in
            try ToolProcess(
                ToolProcess.binary("conclave-serve"),
                arguments: ["--bind", "127.0.0.1:0", "--store", database] + arguments,
                environment: Self.environment([:]), stderrFile: logPath)
        }
    }

    /// Waits (at most 10 s) for each "listening on" line and reads the port from it, then starts a deployment's
    /// proxy on those ports and reads its port the same way; kills everything if a process ends or the time is up
    /// first.
    private func waitUntilListening() throws {
        let deadline = Deadline.after(seconds: 10)
        var ports: [UInt16] = []
        for (instance, logPath) in zip(instances, logPaths) {
            ports.append(try Self.waitForPort(of: instance, in: logPath, until: deadline, or: kill))
        }
        guard instances.count > 1 else {
            port = ports[0]
            return
        }
        let proxyLogPath = sandbox.path("proxy.log")
        let proxy = try ToolProcess(
            "/usr/bin/python3", arguments: [Self.repository + "/scripts/round-robin-proxy.py"] + ports.map(String.init),
            environment: Self.environment([:]), stderrFile: proxyLogPath)
        self.proxy = proxy
        port = try Self.waitForPort(of: proxy, in: proxyLogPath, until: deadline, or: kill)
    }

    /// The port of `process`'s "listening on" line in `logPath`, once it is there; throws (after `failing`) if the
    /// process ends or `deadline` passes first.
    private static func waitForPort(
        of process: ToolProcess, in logPath: String, until deadline: Deadline, or failing: () -> Void
    ) throws -> UInt16 {
        while true {
            let log = text(of: logPath)
            if let port = listeningPort(in: log) { return port }
            guard !process.hasExited, !deadline.hasPassed else {
                failing()
                throw ToolProcessError(description: "\(logPath) did not start: \(log)")
            }
            usleep(10_000)
        }
    }

    /// The repository, found from this file.
    private static let repository = FilePaths.directory(
        of: FilePaths.directory(of: FilePaths.directory(of: #filePath)))

    /// A server serving `wss://` with a self-signed certificate for 127.0.0.1 made now in its directory
    /// (`cert.pem`, `key.pem`).
    static func withSelfSignedCertificate() throws -> ServeProcess {
        let sandbox = try Sandbox()
        let (certificate, key) = try sandbox.makeSelfSignedCertificate(subject: "conclave-serve e2e")
        let server = try ServeProcess(
            sandbox: sandbox, generation: 0, arguments: ["--tls-cert", certificate, "--tls-key", key],
            storage: .memory)
        try server.waitUntilListening()
        return server
    }

    deinit {
        kill()
        // A server built with a sanitizer (`make sanitize`) reports on its stderr, which nothing else reads.
        if Self.isSanitized, let report = Self.sanitizerReport(in: log) { Issue.record("conclave-serve: \(report)") }
    }

    /// The first sanitizer report in `text` (the lines from its heading on, at most 40).
    private static func sanitizerReport(in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { line in
            ["WARNING: ThreadSanitizer", "ERROR: AddressSanitizer", "ERROR: LeakSanitizer"].contains {
                line.contains($0)
            }
        }) else { return nil }
        return lines[start...].prefix(40).joined(separator: "\n")
    }

    /// What the server wrote on stderr so far; a deployment's instances one after the other, each under a heading.
    var log: String {
        guard logPaths.count > 1 else { return Self.text(of: logPaths[0]) }
        return logPaths.enumerated().map { "--- instance \($0):\n\(Self.text(of: $1))" }.joined(separator: "\n")
    }

    private static func text(of path: String) -> String {
        (try? readWholeFile(path)).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    var url: String { "ws://127.0.0.1:\(port)/" }

    /// The server's resident memory in bytes (VmRSS, of all instances of a deployment), nil once one is gone.
    var residentBytes: Int? {
        var total = 0
        for instance in instances {
            guard let bytes = try? readWholeFile("/proc/\(instance.pid)/status"),
                  case let status = String(decoding: bytes, as: UTF8.self),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                  let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
            else { return nil }
            total += kilobytes * 1024
        }
        return total
    }

    /// Whether the tests, and so the tools they run (`make sanitize` builds both), run under AddressSanitizer or
    /// ThreadSanitizer, whose shadow memory (and ASan's quarantine of freed blocks) make resident memory say
    /// nothing about what the server itself holds.
    static let isSanitized = ["__asan_init", "__tsan_init"].contains { (symbol: String) in
        dlsym(dlopen(nil, RTLD_NOW), symbol) != nil
    }

    /// Sends `signal` to the server (every instance; a deployment's proxy only passes bytes on).
    func signal(_ signal: Int32) {
        for instance in instances { instance.send(signal) }
    }

    /// Whether the server has ended, or one instance of a deployment (reaping it if so).
    var hasExited: Bool { instances.contains { $0.hasExited } }

    /// Waits at most `milliseconds` for the server (every instance) to end; its exit status, or nil if it died by a
    /// signal, had to be killed at the deadline, or the instances ended differently.
    func waitForExit(milliseconds: Int) -> Int32? {
        let deadline = Deadline.after(seconds: Double(milliseconds) / 1000)
        let statuses = instances.map { instance in
            let outcome = instance.finish(deadline: deadline)
            return outcome.timedOut ? nil : outcome.status
        }
        return Set(statuses).count == 1 ? statuses[0] : nil
    }

    /// SIGKILL and reap; harmless when already gone.
    func kill() {
        for process in instances + [proxy].compactMap({ $0 }) { _ = process.finish(deadline: .after(seconds: 0)) }
    }

    /// The port of the "listening on ws://127.0.0.1:PORT" (or wss://) line in `text`, once it is there.
    private static func listeningPort(in text: String) -> UInt16? {
        guard let line = text.firstRange(of: "listening on "),
              let address = text[line.upperBound...].firstRange(of: "://127.0.0.1:")
        else { return nil }
        let digits = text[address.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return UInt16(digits)
    }

    /// Runs the built `conclave-serve` to completion with `arguments` (for usage errors); its exit status (nil
    /// when it was killed) and stderr. Killed after 10 s.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32?, String) {
        let outcome = try ToolProcess.run(
            ToolProcess.binary("conclave-serve"), arguments: arguments, environment: Self.environment(environment),
            timeout: 10)
        return (outcome.timedOut ? nil : outcome.status, outcome.stderrText)
    }

    /// Only what the server reads: no `CONCLAVE_*` or `XDG_*` variable of the test's own environment leaks in,
    /// and the home is a directory that cannot exist. Sanitizer options pass through, so that a server built
    /// with a sanitizer (`make sanitize`) runs with the same settings as the tests.
    private static func environment(_ overrides: [String: String]) -> [String: String] {
        var base = ["PATH": "/usr/bin:/bin", "HOME": "/proc/conclave-test-home"]
        for name in ["ASAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS", "UBSAN_OPTIONS"] {
            if let value = getenv(name) { base[name] = String(cString: value) }
        }
        return base.merging(overrides) { _, new in new }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only against one server, not a deployment (`ServeProcess`), because of `reason`: what it
    /// checks is one process's own.
    static func singleServer(_ reason: Comment) -> Self {
        .enabled(if: !ServeProcess.isDeployment, "single server: \(reason)")
    }
}
