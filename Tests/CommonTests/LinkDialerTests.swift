import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// `WebSocketLoopDialer`, the link's dial on the event loop: every outcome arrives through the completion, on the
/// loop, never from `start()`.
@Suite struct LinkDialerTests {
    private final class Outcome {
        var result: Result<WebSocketClient, TransportError>?
    }

    private func dial(
        _ url: String, loop: EventLoop, timeoutMilliseconds: Int = 2_000
    ) throws -> Result<WebSocketClient, TransportError>? {
        let outcome = Outcome()
        let dialer = WebSocketLoopDialer(
            url: try WebSocketURL(parsing: url), loop: loop, timeoutMilliseconds: timeoutMilliseconds
        ) { outcome.result = $0 }
        dialer.start()
        #expect(outcome.result == nil)
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        while outcome.result == nil && !deadline.hasPassed { try loop.runOnce(timeoutMilliseconds: 20) }
        return outcome.result
    }

    @Test func upgradesAndKeepsTheServerID() throws {
        let loop = try EventLoop()
        let server = try LinkScriptedServer(loop: loop, serverID: "dialer-id")
        // `localhost` may resolve to ::1 first, where nothing listens: the next address is tried.
        for host in ["127.0.0.1", "localhost"] {
            guard case .success(let client) = try dial("ws://\(host):\(server.port)/", loop: loop) else {
                Issue.record("no connection to \(host)")
                continue
            }
            #expect(client.serverID == "dialer-id")
            try client.send(binary: ProtocolMessage.hello(protocolVersion: 1, session: "s").encoded())
            // The server runs on this loop: turn it while reading without blocking.
            var event: WebSocketEvent?
            let deadline = MonotonicInstant.after(milliseconds: 2_000)
            while event == nil && !deadline.hasPassed {
                try loop.runOnce(timeoutMilliseconds: 10)
                event = try client.nextEvent()
            }
            guard case .binary(let bytes)? = event else {
                Issue.record("no challenge")
                continue
            }
            guard case .challenge = try ProtocolMessage(decoding: bytes) else {
                Issue.record("not a challenge")
                continue
            }
        }
    }

    @Test func manyDialsFinishOrAreCancelledWithoutLeaks() throws {
        let loop = try EventLoop()
        let server = try LinkScriptedServer(loop: loop)
        let url = try WebSocketURL(parsing: "ws://localhost:\(server.port)/")
        var results = 0
        var dialers: [WebSocketLoopDialer] = []
        for index in 0..<40 {
            let dialer = WebSocketLoopDialer(url: url, loop: loop, timeoutMilliseconds: 3_000) { _ in results += 1 }
            dialer.start()
            if index.isMultiple(of: 2) { dialer.cancel() } else { dialers.append(dialer) }
        }
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        while results < 20 && !deadline.hasPassed { try loop.runOnce(timeoutMilliseconds: 20) }
        #expect(results == 20)
        dialers.removeAll()
        // Only the server's listener and the accepted connections remain registered.
        #expect(loop.registeredCount == 1 + server.server.connectionCount)
    }

    @Test func aRefusedConnectionFails() throws {
        let loop = try EventLoop()
        let port = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0")).address.port
        guard case .failure(let error) = try dial("ws://127.0.0.1:\(port)/", loop: loop) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .connect)
        #expect(error.message.contains("127.0.0.1:\(port)"))
    }

    @Test func aSilentServerTimesOut() throws {
        let loop = try EventLoop()
        let silent = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        guard case .failure(let error) = try dial(
            "ws://127.0.0.1:\(silent.address.port)/", loop: loop, timeoutMilliseconds: 100)
        else {
            Issue.record("expected a timeout")
            return
        }
        #expect(error.code == .timeout)
        #expect(error.message.contains("timed out"))
    }

    @Test func aRefusedUpgradeCarriesTheStatus() throws {
        let loop = try EventLoop()
        let server = try LinkScriptedServer(loop: loop)
        guard case .failure(let error) = try dial("ws://127.0.0.1:\(server.port)/elsewhere", loop: loop) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(error.code == .upgrade)
        #expect(error.httpStatus?.code == 404)
    }

    @Test func anUnknownHostFailsOnTheLoopNotInStart() throws {
        let loop = try EventLoop()
        guard case .failure(let error) = try dial("ws://host.invalid/", loop: loop) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.code == .resolve)
    }

    @Test func aCancelledDialReportsNothingAndReleasesItsDescriptor() throws {
        let loop = try EventLoop()
        let silent = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        var called = false
        let dialer = WebSocketLoopDialer(
            url: try WebSocketURL(parsing: "ws://127.0.0.1:\(silent.address.port)/"), loop: loop,
            timeoutMilliseconds: 60_000
        ) { _ in called = true }
        dialer.start()
        try loop.runOnce(timeoutMilliseconds: 10)
        dialer.cancel()
        #expect(loop.registeredCount == 0)
        // Cancelled before its first step: nothing is reported.
        let resolving = WebSocketLoopDialer(
            url: try WebSocketURL(parsing: "ws://localhost:\(silent.address.port)/"), loop: loop,
            timeoutMilliseconds: 60_000
        ) { _ in called = true }
        resolving.start()
        resolving.cancel()
        #expect(loop.registeredCount == 0)
        let deadline = MonotonicInstant.after(milliseconds: 200)
        while !deadline.hasPassed { try loop.runOnce(timeoutMilliseconds: 20) }
        #expect(!called)
    }
}
