import Glibc
import Testing

/// A real `conclave-serve` for a test: a `ToolProcess` with its state in a `Sandbox` of its own, stderr to a
/// file there (so a chatty server never blocks on a full pipe), port read from its "listening on" line. It is
/// killed at the latest when the value is released; the sandbox goes when the last server using it does.
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
    private let process: ToolProcess
    /// Counts restarts on one directory, so that each server has a log of its own.
    private let generation: Int
    let logPath: String

    /// Starts `conclave-serve --bind 127.0.0.1:0` with `arguments` and waits (at most 10 s) for its "listening
    /// on" line.
    convenience init(_ arguments: [String] = [], storage: Storage = .memory) throws {
        try self.init(sandbox: Sandbox(), generation: 0, arguments: arguments, storage: storage)
        try waitUntilListening()
    }

    /// A new server on the same data directory (a restart).
    convenience init(restarting previous: ServeProcess, arguments: [String] = []) throws {
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
        logPath = sandbox.path("stderr-\(generation).log")
        var flags: [String] = []
        var environment: [String: String] = [:]
        switch storage {
        case .memory: flags = ["--ephemeral"]
        case .dataDirectory: flags = ["--data-dir", sandbox.path("data")]
        case .xdgDefault: environment["XDG_DATA_HOME"] = sandbox.path("xdg")
        case .postgres(let url): flags = ["--store", url]
        }
        process = try ToolProcess(
            ToolProcess.binary("conclave-serve"), arguments: ["--bind", "127.0.0.1:0"] + flags + arguments,
            environment: Self.environment(environment), stderrFile: logPath)
    }

    /// Waits (at most 10 s) for the "listening on" line and reads the port from it; kills the server if it ends or
    /// the time is up first.
    private func waitUntilListening() throws {
        let deadline = Deadline.after(seconds: 10)
        while port == 0 {
            if let port = listeningPort() {
                self.port = port
                break
            }
            guard !process.hasExited, !deadline.hasPassed else {
                kill()
                throw ToolProcessError(description: "conclave-serve did not start: \(log)")
            }
            usleep(10_000)
        }
    }

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

    deinit { kill() }

    /// What the server wrote on stderr so far.
    var log: String { (try? sandbox.read(logPath)).map { String(decoding: $0, as: UTF8.self) } ?? "" }

    var url: String { "ws://127.0.0.1:\(port)/" }

    /// The server's resident memory in bytes (VmRSS), nil once it is gone.
    var residentBytes: Int? {
        guard let bytes = try? readWholeFile("/proc/\(process.pid)/status"),
              case let status = String(decoding: bytes, as: UTF8.self),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes * 1024
    }

    /// Whether the tests, and so the tools they run (`make sanitize-address` builds both), run under
    /// AddressSanitizer, whose shadow memory and quarantine of freed blocks make resident memory say nothing about
    /// what the server itself holds.
    static let isAddressSanitized = dlsym(dlopen(nil, RTLD_NOW), "__asan_init") != nil

    /// Sends `signal` to the server.
    func signal(_ signal: Int32) { process.send(signal) }

    /// Whether the process has ended (reaping it if so).
    var hasExited: Bool { process.hasExited }

    /// Waits at most `milliseconds` for the process to end; its exit status, or nil if it died by a signal or
    /// had to be killed at the deadline.
    func waitForExit(milliseconds: Int) -> Int32? {
        let outcome = process.finish(deadline: .after(seconds: Double(milliseconds) / 1000))
        return outcome.timedOut ? nil : outcome.status
    }

    /// SIGKILL and reap; harmless when already gone.
    func kill() { _ = process.finish(deadline: .after(seconds: 0)) }

    /// The port of the "listening on ws://127.0.0.1:PORT" (or wss://) line, once it is there.
    private func listeningPort() -> UInt16? {
        let text = log
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
