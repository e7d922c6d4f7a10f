import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// A `WebSocketServer` running its own event loop on a background thread, for tests whose client blocks.
/// Its handler echoes messages, and obeys a few text commands:
/// `close` → the server closes; `big N` → it tries to send N bytes and answers with the outcome;
/// `frame` → it sends a pre-encoded binary frame [1, 2]; `written` → it answers with the messages and bytes
/// reported written so far; `sleep N` → it blocks the loop for N ms (a slow request), then answers `slept`;
/// `pause N` → it answers `paused` and takes no message for N ms (`pauseDelivery`, then `resumeDelivery`).
final class BackgroundWebSocketServer: @unchecked Sendable {
    let address: HostAndPort
    private let thread: BackgroundThread
    private let stopSignal: WakeupPipe

    init(configuration: WebSocketServer.Configuration = .init(serverID: "test-server-id")) throws {
        let loop = try EventLoop()
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let server = WebSocketServer(listener: listener, loop: loop, configuration: configuration)
        let handler = CommandEchoHandler(loop: loop)
        server.onUpgrade = { $0.handler = handler }
        try server.start()
        stopSignal = try WakeupPipe()
        try loop.register(stopSignal.readDescriptor, interest: .readable, handler: StopOnReadable())
        address = listener.address
        // Everything the thread owns; touched only by it once started.
        let state = ServerThreadState(loop: loop, server: server)
        thread = try BackgroundThread {
            try? state.loop.run()
            state.server.finishAll()
        }
    }

    /// Stops the loop and waits for the thread.
    func stop() {
        stopSignal.wake()
        thread.join()
    }

    var url: String { "ws://\(address)" }
}

private final class ServerThreadState: @unchecked Sendable {
    let loop: EventLoop
    let server: WebSocketServer

    init(loop: EventLoop, server: WebSocketServer) {
        self.loop = loop
        self.server = server
    }
}

private final class StopOnReadable: EventLoopHandler {
    func handle(_ events: IOEvents, on loop: EventLoop) { loop.stop() }
}

private final class CommandEchoHandler: WebSocketServerConnectionHandler {
    private unowned let loop: EventLoop
    private var written = (count: 0, bytes: 0)

    init(loop: EventLoop) {
        self.loop = loop
    }

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
        } else if message.hasPrefix("pause "), let milliseconds = Int(message.dropFirst(6)) {
            connection.pauseDelivery()
            connection.send(text: "paused")
            _ = loop.schedule(afterMilliseconds: milliseconds) { connection.resumeDelivery() }
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
