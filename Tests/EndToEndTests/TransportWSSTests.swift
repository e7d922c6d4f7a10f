import Glibc
import Testing
@testable import Common

/// `wss://` end to end: the `autobahn-echo-server` binary serving TLS with a self-signed certificate made at
/// test time, and a `WebSocketClient` in this process that trusts it only when told to.
@Suite struct TransportWSSTests {
    @Test func clientTrustsTheServerOnlyWithItsCA() throws {
        Socket.ignoreBrokenPipeSignal()
        let directory = try makeTemporaryDirectory()
        defer { removeTree(directory) }
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let generate = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
            + " -subj '/CN=conclave e2e CA' -addext 'subjectAltName=IP:127.0.0.1,DNS:localhost'"
            + " -keyout '\(key)' -out '\(certificate)' >/dev/null 2>&1"
        try #require(system(generate) == 0, "openssl req failed")

        let server = try EchoServerProcess(arguments: [
            "--bind", "127.0.0.1:0", "--server-id", "e2e-id", "--tls-cert", certificate, "--tls-key", key,
        ])
        defer { server.stop() }
        let port = server.address.port

        let trusting = try TLSClientContext(extraCAFile: certificate)
        for host in ["127.0.0.1", "localhost"] {
            let url = try WebSocketURL(parsing: "wss://\(host):\(port)/")
            let client = try WebSocketClient.connect(to: url, tls: trusting, deadline: .after(milliseconds: 5_000))
            #expect(client.serverID == "e2e-id")
            try client.send(binary: Array("over tls".utf8))
            #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .binary(Array("over tls".utf8)))
            client.closeAndWait(deadline: .after(milliseconds: 2_000))
        }

        let url = try WebSocketURL(parsing: "wss://127.0.0.1:\(port)")
        let refused = #expect(throws: TransportError.self) {
            try WebSocketClient.connect(
                to: url, tls: TLSClientContext(extraCAFile: nil), deadline: .after(milliseconds: 5_000))
        }
        #expect(refused?.code == .certificate)
        #expect(refused?.message == "TLS: certificate verify failed for 127.0.0.1:\(port): self-signed certificate")
        #expect(refused?.exitStatus == .unavailable)

        // The default context reads CONCLAVE_CA_FILE; no other test sets it.
        setenv(TLSClientContext.caFileVariable, certificate, 1)
        defer { unsetenv(TLSClientContext.caFileVariable) }
        let client = try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 5_000))
        try client.send(binary: [1])
        #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .binary([1]))
        client.closeAndWait(deadline: .after(milliseconds: 2_000))
        // The server outlived every connection, refused ones included.
        #expect(server.isRunning)
    }
}

/// The built `autobahn-echo-server`, started with posix_spawn; stdout on a pipe for its "listening on" line.
/// Stopped with SIGKILL and reaped.
private final class EchoServerProcess {
    let pid: pid_t
    let address: HostAndPort

    init(arguments: [String]) throws {
        let path = binDirectory() + "/autobahn-echo-server"
        try #require(access(path, X_OK) == 0, "\(path) is not built")
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let output = Socket(adopting: fds[0], label: "server stdout")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child = pid_t()
        let status = posix_spawn(&child, path, &actions, nil, argv, nil)
        close(fds[1])
        try #require(status == 0, "posix_spawn failed: \(status)")
        pid = child
        var line: [UInt8] = []
        let deadline = MonotonicInstant.after(milliseconds: 10_000)
        var byte: UInt8 = 0
        while !line.contains(UInt8(ascii: "\n")),
              try Poller.waitFor(output.fileDescriptor, .readable, deadline: deadline),
              read(output.fileDescriptor, &byte, 1) == 1 {
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("listening on "), text.hasSuffix("\n") else {
            kill(child, SIGKILL)
            waitpid(child, nil, 0)
            throw EchoServerProcessError(description: "autobahn-echo-server did not start: \(text)")
        }
        address = try HostAndPort(parsing: String(text.dropFirst(13).dropLast()))
    }

    var isRunning: Bool {
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    func stop() {
        kill(pid, SIGKILL)
        waitpid(pid, nil, 0)
    }
}

private struct EchoServerProcessError: Error, CustomStringConvertible {
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
    var template = Array("/tmp/conclave-wss-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { $0.baseAddress.flatMap { mkdtemp($0) } }
    return try #require(made.map { String(cString: $0) })
}

private func removeTree(_ directory: String) {
    for name in ["cert.pem", "key.pem"] { unlink(directory + "/" + name) }
    rmdir(directory)
}
