#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveTransport
@testable import ConclaveWire

/// One test's world for `conclave-connect`: a sandbox home, a real `conclave-serve` on a loopback port chosen
/// at run time (alice is its admin), and helpers to make users and run the tool. Everything is bounded: each run
/// has a deadline, and processes still running when the world goes away are killed.
final class ConnectWorld {
    let sandbox: Sandbox
    /// The server started first, which owns the data directory that restarts share.
    private let firstServer: ServeProcess
    private(set) var server: ServeProcess
    private let serverArguments: [String]

    /// `serverArguments` are added to `--admin alice` (short timers, for instance).
    init(storage: ServeProcess.Storage = .memory, serverArguments: [String] = []) throws {
        sandbox = try Sandbox()
        self.serverArguments = ["--admin", "alice"] + serverArguments
        firstServer = try ServeProcess(self.serverArguments, storage: storage)
        server = firstServer
    }

    /// SIGKILL, then a new server on the same data directory and port (the links redial the URL they were given).
    func killAndRestartServer() throws {
        server.kill()
        // The last `--bind` wins over the `127.0.0.1:0` of a fresh server.
        server = try ServeProcess(
            restarting: server, arguments: serverArguments + ["--bind", "127.0.0.1:\(server.port)"])
    }

    var url: String { server.url }

    /// The config directory of `user`.
    func directory(_ user: String) -> String { sandbox.path(user) }

    /// The environment of every run: the sandbox home, short backoff so retries take milliseconds.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ToolProcess.environment(
            home: sandbox.home, ["CONCLAVE_BACKOFF_BASE_MS": "20", "CONCLAVE_BACKOFF_CAP_MS": "100"]
                .merging(extra) { _, new in new })
    }

    /// Makes `user`'s key and registers `user/laptop` on the server (which records it in config.toml).
    func register(_ user: String) throws {
        let key = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: ["-q", "--config-dir", directory(user)],
            environment: environment(), timeout: 10)
        try #require(key.status == 0, "keygen: \(key.stderrText)")
        let outcome = try connect(user, ["--register", "\(user)/laptop", "-E"])
        try #require(outcome.status == 0, "register \(user): \(outcome.stderrText)")
    }

    /// Runs `conclave-connect` as `user` against this server to completion, with `stdin`.
    func connect(
        _ user: String, _ arguments: [String], stdin: String = "", url: String? = nil, timeout: Double = 15,
        environment extra: [String: String] = [:]
    ) throws -> ToolOutcome {
        try ToolProcess.run(
            ToolProcess.binary("conclave-connect"),
            arguments: ["--config-dir", directory(user), "-u", url ?? self.url] + arguments,
            environment: environment(extra), stdin: stdin, workingDirectory: sandbox.home, timeout: timeout)
    }

    /// Starts a long-running `conclave-connect` as `user`; stdin stays open until closed.
    func start(
        _ user: String, _ arguments: [String], environment extra: [String: String] = [:]
    ) throws -> ToolProcess {
        try ToolProcess(
            ToolProcess.binary("conclave-connect"),
            arguments: ["--config-dir", directory(user), "-u", url] + arguments,
            environment: environment(extra), workingDirectory: sandbox.home)
    }

    /// Creates the public channel `name` as alice (the server admin).
    func createChannel(_ name: String) throws {
        let line = #"{"type":"admin","op":"create_channel","name":""# + name + #"","visibility":"public"}"#
        let outcome = try connect("alice", ["-E"], stdin: line + "\n")
        try #require(outcome.status == 0, "create \(name): \(outcome.stderrText)")
        try #require(outcome.stdoutLines.contains { $0.hasPrefix(#"{"type":"ack""#) }, "\(outcome.stdoutText)")
    }
}

/// The parsed JSON objects of NDJSON lines (lines that are not objects are left out).
func records(_ lines: [String]) -> [JSONObject] {
    lines.compactMap { try? JSONValue(parsing: $0).objectValue }
}

extension ToolProcess {
    /// Reads stdout lines until one parses as an object matching `predicate`; nil at the deadline.
    func readRecord(
        deadline: Deadline, where predicate: (JSONObject) -> Bool
    ) -> JSONObject? {
        while let line = readLine(deadline: deadline) {
            if let object = try? JSONValue(parsing: line).objectValue, predicate(object) { return object }
        }
        return nil
    }
}

/// A client of a `conclave-connect --socket`: writes lines, reads lines, every wait bounded.
final class SocketLineClient {
    private let socket: Socket
    private var fd: Int32 { socket.fileDescriptor }
    private var buffer: [UInt8] = []

    /// Connects to `path`, retrying until `deadline` while the socket does not exist yet.
    init(path: String, deadline: Deadline) throws {
        while true {
            do {
                socket = try Socket.connect(unixPath: path)
                return
            } catch {
                guard !deadline.hasPassed else { throw ToolProcessError(description: error.message) }
                usleep(20_000)
            }
        }
    }

    func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if count > 0 {
                offset += count
            } else if errno == EAGAIN || errno == EINTR {
                usleep(1_000)
            } else {
                throw ToolProcessError(description: "socket send: errno \(errno)")
            }
        }
    }

    /// Ends our side: the tool reads end of file, answers what is outstanding, and keeps the connection.
    func shutdownOutput() { shutdown(fd, Int32(SHUT_WR)) }

    /// The next line; nil at end of file or when the deadline passes first.
    func readLine(deadline: Deadline) -> String? {
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeFirst(newline + 1)
                return line
            }
            guard !deadline.hasPassed else { return nil }
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&waiting, 1, deadline.remainingMilliseconds)
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(fd, &chunk, chunk.count)
            if count == 0 { return nil }
            if count > 0 { buffer += chunk[0..<count] }
        }
    }

    /// Lines until one parses as an object matching `predicate`; nil at the deadline or end of file.
    func readRecord(deadline: Deadline, where predicate: (JSONObject) -> Bool) -> JSONObject? {
        while let line = readLine(deadline: deadline) {
            if let object = try? JSONValue(parsing: line).objectValue, predicate(object) { return object }
        }
        return nil
    }
}
