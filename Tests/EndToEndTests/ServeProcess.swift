import Common
import Glibc
import Testing

/// A real `conclave-serve` for a test: started with posix_spawn in a temporary directory of its own, stderr to
/// a file there (so a chatty server never blocks on a full pipe), port read from its "listening on" line.
/// `kill()` (SIGKILL and reap) runs at the latest when the value is released; the directory is removed then.
final class ServeProcess {
    let directory: String
    /// The server's data directory (inside `directory`) when durable, else nil (ephemeral).
    let dataDirectory: String?
    private(set) var pid: pid_t = 0
    private(set) var port: UInt16 = 0
    private(set) var exitStatus: Int32?
    private let ownsDirectory: Bool
    /// Counts restarts on one directory, so that each server has a log of its own.
    private let generation: Int
    let logPath: String

    /// Starts `conclave-serve --bind 127.0.0.1:0` with `arguments`, in memory unless `durable`, and waits (at
    /// most 10 s) for its "listening on" line.
    convenience init(_ arguments: [String] = [], durable: Bool = false) throws {
        let directory = try makeTemporaryDirectory()
        try self.init(
            directory: directory, ownsDirectory: true, generation: 0, arguments: arguments,
            dataDirectory: durable ? directory + "/data" : nil)
    }

    /// A new server on the same data directory (a restart); the caller keeps `previous` alive until done.
    convenience init(restarting previous: ServeProcess, arguments: [String] = []) throws {
        try self.init(
            directory: previous.directory, ownsDirectory: false, generation: previous.generation + 1,
            arguments: arguments, dataDirectory: previous.dataDirectory)
    }

    private init(
        directory: String, ownsDirectory: Bool, generation: Int, arguments: [String], dataDirectory: String?
    ) throws {
        self.directory = directory
        self.ownsDirectory = ownsDirectory
        self.generation = generation
        logPath = directory + "/stderr-\(generation).log"
        self.dataDirectory = dataDirectory
        var storage = ["--ephemeral"]
        if let dataDirectory { storage = ["--data-dir", dataDirectory] }
        pid = try Self.spawn(
            ["--bind", "127.0.0.1:0"] + storage + arguments, stderrPath: logPath)
        let deadline = MonotonicInstant.after(milliseconds: 10_000)
        while port == 0 {
            if let port = listeningPort() {
                self.port = port
                break
            }
            guard !hasExited, !deadline.hasPassed else {
                kill()
                throw ServeProcessError(description: "conclave-serve did not start: \(log)")
            }
            usleep(10_000)
        }
    }

    /// A server serving `wss://` with a self-signed certificate for 127.0.0.1 made now in its directory
    /// (`cert.pem`, `key.pem`).
    static func withSelfSignedCertificate() throws -> ServeProcess {
        let directory = try makeTemporaryDirectory()
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let generate = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
            + " -subj '/CN=conclave-serve e2e' -addext 'subjectAltName=IP:127.0.0.1'"
            + " -keyout '\(key)' -out '\(certificate)' >/dev/null 2>&1"
        guard system(generate) == 0 else {
            removeTree(directory)
            throw ServeProcessError(description: "openssl req failed")
        }
        return try ServeProcess(
            directory: directory, ownsDirectory: true, generation: 0,
            arguments: ["--tls-cert", certificate, "--tls-key", key], dataDirectory: nil)
    }

    deinit {
        kill()
        if ownsDirectory { removeTree(directory) }
    }

    /// What the server wrote on stderr so far.
    var log: String { readFile(logPath) }

    var url: String { "ws://127.0.0.1:\(port)/" }

    /// Sends `signal` to the server.
    func signal(_ signal: Int32) {
        if exitStatus == nil { Glibc.kill(pid, signal) }
    }

    /// Whether the process has ended (reaping it if so).
    var hasExited: Bool {
        if exitStatus != nil { return true }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return false }
        exitStatus = status
        return true
    }

    /// Waits at most `milliseconds` for the process to end; its exit code, or nil if it is still running or
    /// died by a signal.
    func waitForExit(milliseconds: Int) -> Int32? {
        let deadline = MonotonicInstant.after(milliseconds: milliseconds)
        while !hasExited && !deadline.hasPassed { usleep(10_000) }
        guard let status = exitStatus, status & 0x7f == 0 else { return nil }
        return (status >> 8) & 0xff
    }

    /// SIGKILL and reap; harmless when already gone.
    func kill() {
        guard !hasExited else { return }
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exitStatus = status
    }

    /// The port of the "listening on ws://127.0.0.1:PORT" (or wss://) line, once it is there.
    private func listeningPort() -> UInt16? {
        let text = log
        guard let line = text.firstRange(of: "listening on "),
              let address = text[line.upperBound...].firstRange(of: "://127.0.0.1:")
        else { return nil }
        let digits = text[address.upperBound...].prefix { $0.isASCII && $0.isNumber }
        return UInt16(digits)
    }

    /// Runs the built `conclave-serve` to completion with `arguments` (for usage errors); its exit code and
    /// stderr. Killed after 10 s.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (Int32?, String) {
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let path = directory + "/stderr.log"
        let pid = try spawn(arguments, stderrPath: path, environment: environment)
        let deadline = MonotonicInstant.after(milliseconds: 10_000)
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) != pid {
            if deadline.hasPassed {
                Glibc.kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                return (nil, readFile(path))
            }
            usleep(5_000)
        }
        return (status & 0x7f == 0 ? (status >> 8) & 0xff : nil, readFile(path))
    }

    private static func spawn(
        _ arguments: [String], stderrPath: String, environment: [String: String] = [:]
    ) throws -> pid_t {
        let path = binDirectory() + "/conclave-serve"
        try #require(access(path, X_OK) == 0, "\(path) is not built")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(
            &actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // The test process may block or ignore signals (a SignalSource in another test); the server must not
        // inherit that.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t()
        sigemptyset(&empty)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // Only what the server reads; no CONCLAVE_* variable of the test's own environment leaks in.
        var variables = ["PATH=/usr/bin:/bin", "HOME=/nonexistent"]
        for (name, value) in environment.sorted(by: { $0.key < $1.key }) { variables.append("\(name)=\(value)") }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = variables.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let status = posix_spawn(&child, path, &actions, &attributes, argv, envp)
        try #require(status == 0, "posix_spawn failed: \(status)")
        return child
    }
}

struct ServeProcessError: Error, CustomStringConvertible {
    var description: String
}

/// `$CONCLAVE_BIN_DIR`, else the directory of this test binary (where `swift build` puts every product).
private func binDirectory() -> String {
    if let value = getenv("CONCLAVE_BIN_DIR"), value.pointee != 0 { return String(cString: value) }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    let path = String(decoding: buffer.prefix(max(0, length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
}

private func makeTemporaryDirectory() throws -> String {
    var template = Array("/tmp/conclave-serve-e2e-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
    return try #require(made.map { String(cString: $0) })
}

/// Removes `directory` and everything in it (the tests make only files and directories).
private func removeTree(_ directory: String) {
    guard let stream = opendir(directory) else { return }
    while let entry = readdir(stream) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." { continue }
        let path = directory + "/" + name
        var status = stat()
        if lstat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR {
            removeTree(path)
        } else {
            unlink(path)
        }
    }
    closedir(stream)
    rmdir(directory)
}

/// A whole small file as text; empty when it cannot be read.
private func readFile(_ path: String) -> String {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return "" }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { break }
        bytes.append(contentsOf: buffer.prefix(count))
    }
    return String(decoding: bytes, as: UTF8.self)
}
