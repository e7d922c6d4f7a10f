import ConclaveCLI
import ConclavePOSIX
import ConclaveTransport

// The Autobahn|Testsuite fuzzingclient's testee: a WebSocket echo server on the conclave transport.
// Usage: autobahn-echo-server [--bind ADDR] [--server-id ID] [--tls-cert FILE --tls-key FILE]
// Prints "listening on HOST:PORT" once ready; echoes every text and binary message until killed.
import Glibc

final class Echo: WebSocketServerConnectionHandler {
    func connection(_ connection: WebSocketServerConnection, didReceiveBinary message: [UInt8]) {
        connection.send(binary: message)
    }

    func connection(_ connection: WebSocketServerConnection, didReceiveText message: String) {
        connection.send(text: message)
    }

    func connectionDidEnd(_ connection: WebSocketServerConnection, reason: WebSocketServerConnection.EndReason) {}
}

func fail(_ message: String, status: Int32 = 1) -> Never {
    Diagnostics(toolName: "autobahn-echo-server").report(message)
    exit(status)
}

var options: [String: String] = ["--bind": "127.0.0.1:9002"]
var arguments = CommandLine.arguments.dropFirst()
while let flag = arguments.popFirst() {
    guard ["--bind", "--server-id", "--tls-cert", "--tls-key"].contains(flag), let value = arguments.popFirst() else {
        fail("usage: autobahn-echo-server [--bind ADDR] [--server-id ID] [--tls-cert FILE --tls-key FILE]", status: 64)
    }
    options[flag] = value
}

BrokenPipe.ignore()
do throws(TransportError) {
    var configuration = WebSocketServer.Configuration(serverID: options["--server-id"])
    switch (options["--tls-cert"], options["--tls-key"]) {
    case let (certificate?, key?): configuration.tls = try TLSServerContext(certificateFile: certificate, keyFile: key)
    case (nil, nil): break
    default: fail("--tls-cert and --tls-key go together", status: 64)
    }
    let loop = try EventLoop()
    let listener = try ListeningSocket(binding: HostAndPort(parsing: options["--bind"] ?? ""))
    let server = WebSocketServer(listener: listener, loop: loop, configuration: configuration)
    let echo = Echo()
    server.onUpgrade = { $0.handler = echo }
    try server.start()
    let ready = "listening on \(server.address)\n"
    _ = ready.withCString { write(1, $0, strlen($0)) }
    try loop.run()
} catch {
    fail(error.message)
}
