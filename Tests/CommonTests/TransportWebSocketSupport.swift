import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// A `WebSocketServer` running its own event loop on a background thread, for tests whose client blocks.
/// Its handler echoes messages, and obeys a few text commands:
/// `close` → the server closes; `big N` → it tries to send N bytes and answers with the outcome;
/// `frame` → it sends a pre-encoded binary frame [1, 2]; `written` → it answers with the messages and bytes
/// reported written so far; `sleep N` → it blocks the loop for N ms (a slow request), then answers `slept`.
final class BackgroundWebSocketServer: @unchecked Sendable {
    let address: HostAndPort
    private var thread = pthread_t()
    private let stopWriter: Int32
    /// Everything the thread owns; touched only by it once started.
    private let state: ServerThreadState

    init(configuration: WebSocketServer.Configuration = .init(serverID: "test-server-id")) throws {
        let loop = try EventLoop()
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let server = WebSocketServer(listener: listener, loop: loop, configuration: configuration)
        let handler = CommandEchoHandler()
        server.onUpgrade = { $0.handler = handler }
        try server.start()
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        let stopReader = Socket(adopting: fds[0], label: "stop pipe")
        try loop.register(stopReader.fileDescriptor, interest: .readable, handler: StopOnReadable())
        address = listener.address
        stopWriter = fds[1]
        state = ServerThreadState(loop: loop, server: server, stopReader: stopReader)
        let box = Unmanaged.passRetained(state).toOpaque()
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let state = Unmanaged<ServerThreadState>.fromOpaque(argument).takeRetainedValue()
            try? state.loop.run()
            state.server.finishAll()
            return nil
        }, box)
        try #require(status == 0)
    }

    /// Stops the loop and waits for the thread.
    func stop() {
        var byte: UInt8 = 1
        _ = write(stopWriter, &byte, 1)
        pthread_join(thread, nil)
        close(stopWriter)
    }

    var url: String { "ws://\(address)" }
}

private final class ServerThreadState {
    let loop: EventLoop
    let server: WebSocketServer
    let stopReader: Socket

    init(loop: EventLoop, server: WebSocketServer, stopReader: Socket) {
        self.loop = loop
        self.server = server
        self.stopReader = stopReader
    }
}

private final class StopOnReadable: EventLoopHandler {
    func handle(_ events: IOEvents, on loop: EventLoop) { loop.stop() }
}

private final class CommandEchoHandler: WebSocketServerConnectionHandler {
    private var written = (count: 0, bytes: 0)

    func connection(_ connection: WebSocketServerConnection, didWriteMessages count: Int, bytes: Int) {
        written.count += count
        written.bytes += bytes
    }

    func connection(_ connection: WebSocketServerConnection, didReceiveBinary message: [UInt8]) {
        connection.send(binary: message)
    }

    func connection(_ connection: WebSocketServerConnection, didReceiveText message: String) {
        if message == "close" {
            connection.close()
        } else if message == "written" {
            connection.send(text: "written \(written.count) \(written.bytes)")
        } else if message == "frame" {
            connection.send(encodedFrame: WebSocketFrame(opcode: .binary, payload: [1, 2]).encoded())
        } else if message.hasPrefix("sleep "), let milliseconds = UInt32(message.dropFirst(6)) {
            usleep(milliseconds * 1000)
            connection.send(text: "slept")
        } else if message.hasPrefix("big "), let size = Int(message.dropFirst(4)) {
            let outcome = connection.send(binary: [UInt8](repeating: 7, count: size))
            connection.send(text: "\(outcome) \(connection.outboundByteCount > 0 || outcome != .queued)")
        } else {
            connection.send(text: message)
        }
    }

    func connectionDidEnd(_ connection: WebSocketServerConnection, reason: WebSocketServerConnection.EndReason) {}
}

/// Sends a raw HTTP request and returns the whole response (the server closes after it), bounded in time.
func rawHTTP(_ request: String, to address: HostAndPort) throws -> String {
    let stream = try TransportStream.connect(to: address, tls: nil, deadline: .after(milliseconds: 2_000))
    try writeAll(Array(request.utf8), to: stream)
    var response: [UInt8] = []
    let deadline = MonotonicInstant.after(milliseconds: 5_000)
    while try Poller.waitFor(stream.fileDescriptor, .readable, deadline: deadline) {
        if case .endOfStream = try stream.read(appendingTo: &response) { break }
    }
    return String(decoding: response, as: UTF8.self)
}
