import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport

@Suite struct WebSocketURLTests {
    @Test(arguments: [
        ("ws://127.0.0.1:4390", false, "127.0.0.1", UInt16(4390), "/"),
        ("wss://example.org", true, "example.org", 443, "/"),
        ("ws://example.org/", false, "example.org", 80, "/"),
        ("WS://[::1]:8080/a/b?c=d", false, "::1", 8080, "/a/b?c=d"),
        ("wss://[::1]", true, "::1", 443, "/"),
        ("ws://host?x=1", false, "host", 80, "/?x=1"),
    ])
    func parses(_ text: String, _ secure: Bool, _ host: String, _ port: UInt16, _ path: String) throws {
        let url = try WebSocketURL(parsing: text)
        #expect(url.isSecure == secure && url.host == host && url.port == port && url.path == path)
    }

    @Test(arguments: [
        "", "http://host", "ws://", "ws:///path", "ws://host:0", "ws://host:65536", "ws://host:", "ws://host:x",
        "ws://user@host", "ws://host/#top", "ws://[::1", "ws://[zz]:80", "ws://[127.0.0.1]", "ws://ho st",
    ])
    func refuses(_ text: String) {
        let error = #expect(throws: WebSocketURLError.self) { try WebSocketURL(parsing: text) }
        #expect(error?.description.hasPrefix("invalid server URL \"\(text)\": ") == true)
        #expect(error?.exitStatus == .usage)
    }

    @Test func printsCanonically() throws {
        #expect(try WebSocketURL(parsing: "wss://h:443").description == "wss://h/")
        #expect(try WebSocketURL(parsing: "ws://[::1]:81/x").description == "ws://[::1]:81/x")
    }
}

@Suite struct WebSocketEndpointTests {
    @Test func clientAndServerExchangeMessages() throws {
        BrokenPipe.ignore()
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        #expect(client.serverID == "test-server-id")
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        for message in [[], [1, 2, 3], big] {
            try client.send(binary: message)
            #expect(try client.nextEvent(deadline: deadline) == .binary(message))
        }
        try client.send(text: "héllo")
        #expect(try client.nextEvent(deadline: deadline) == .text("héllo"))
        try client.close()
        #expect(try client.nextEvent(deadline: deadline) == .closed(.normalClosure, reason: ""))
        #expect(try client.nextEvent(deadline: deadline) == nil)
        #expect(client.isClosed)
    }

    /// Messages past the per-turn budget wait for later turns: none is lost or reordered (issue 15 item 3).
    @Test func messagesPastThePerTurnBudgetAreHandedOverLater() throws {
        BrokenPipe.ignore()
        var configuration = WebSocketServer.Configuration(serverID: "test-server-id")
        configuration.maximumMessagesPerTurn = 1
        let server = try BackgroundWebSocketServer(configuration: configuration)
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        for index in 0..<50 { try client.send(binary: [UInt8(index)]) }
        for index in 0..<50 { #expect(try client.nextEvent(deadline: deadline) == .binary([UInt8(index)])) }
    }

    /// Slow messages end a connection's turn early, so another connection is served between them rather than
    /// after all of them (issue 15 item 4).
    @Test func slowMessagesDoNotHoldOtherConnectionsForTheirWholeBudget() throws {
        BrokenPipe.ignore()
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let busy = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        let other = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        // Thirty requests of 100 ms each, well within the per-turn count: 3 s if handled in one turn. The other
        // message comes once the server is busy with them.
        for _ in 0..<30 { try busy.send(text: "sleep 100") }
        usleep(50_000)
        try other.send(binary: [1])
        #expect(try other.nextEvent(deadline: .after(milliseconds: 2_000)) == .binary([1]))
        for _ in 0..<30 { #expect(try busy.nextEvent(deadline: .after(milliseconds: 5_000)) == .text("slept")) }
    }

    /// A handler that cannot take more (the server's core on its own thread, with a full queue) pauses delivery:
    /// nothing more is handed over until it resumes, and then everything comes, in order (issue 16 item 1).
    @Test func pausedDeliveryResumesWithNothingLostOrReordered() throws {
        BrokenPipe.ignore()
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        try client.send(text: "pause 300")
        for index in 0..<20 { try client.send(binary: [UInt8(index)]) }
        #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .text("paused"))
        // Nothing while paused: the wait times out, and the connection goes on.
        #expect(throws: TransportError.self) { try client.nextEvent(deadline: .after(milliseconds: 150)) }
        for index in 0..<20 {
            #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .binary([UInt8(index)]))
        }
    }

    @Test func serverAnswersAPingAlone() throws {
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        try client.sendPing([4, 2])
        #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .pong([4, 2]))
    }

    @Test func serverReportsWrittenMessages() throws {
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        try client.send(binary: [1, 2, 3])
        #expect(try client.nextEvent(deadline: deadline) == .binary([1, 2, 3]))
        try client.send(binary: Array(repeating: 0, count: 70_000))
        #expect(try client.nextEvent(deadline: deadline) == .binary(Array(repeating: 0, count: 70_000)))
        try client.send(text: "written")
        #expect(try client.nextEvent(deadline: deadline) == .text("written 2 70003"))
    }

    @Test func serverCloseSendsACloseWithoutStatusCode() throws {
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        try client.send(binary: [9])
        try client.send(text: "close")
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        #expect(try client.nextEvent(deadline: deadline) == .binary([9]))
        #expect(try client.nextEvent(deadline: deadline) == .closed(nil, reason: ""))
        client.closeAndWait(deadline: deadline)
    }

    @Test func outboundQueueIsBoundedInBytes() throws {
        var configuration = WebSocketServer.Configuration()
        configuration.maximumOutboundBytes = 10_000
        let server = try BackgroundWebSocketServer(configuration: configuration)
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        try client.send(text: "big 20000")
        #expect(try client.nextEvent(deadline: deadline) == .text("queueFull true"))
        try client.send(text: "big 100")
        #expect(try client.nextEvent(deadline: deadline) == .binary([UInt8](repeating: 7, count: 100)))
        #expect(try client.nextEvent(deadline: deadline) == .text("queued true"))
    }

    @Test func oversizedAndPreEncodedSends() throws {
        var configuration = WebSocketServer.Configuration()
        configuration.maximumMessageSize = 1_000
        let server = try BackgroundWebSocketServer(configuration: configuration)
        defer { server.stop() }
        let client = try WebSocketClient.connect(
            to: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        try client.send(text: "big 2000")
        #expect(try client.nextEvent(deadline: deadline) == .text("tooLarge true"))
        try client.send(text: "frame")
        #expect(try client.nextEvent(deadline: deadline) == .binary([1, 2]))
    }

    @Test func dialerMakesProgressOnlyWhenPolled() throws {
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let dialer = try WebSocketDialer(url: WebSocketURL(parsing: server.url), deadline: .after(milliseconds: 5_000))
        var client: WebSocketClient?
        var turns = 0
        while client == nil {
            var entries = [Poller.Entry(fileDescriptor: dialer.fileDescriptor, interest: dialer.pollInterest)]
            try Poller.wait(&entries, timeoutMilliseconds: dialer.deadline.millisecondsFromNow)
            client = try dialer.advance()
            turns += 1
        }
        #expect(turns > 1)
        #expect(client?.serverID == "test-server-id")
    }

    @Test func upgradeThatNeverComesTimesOut() throws {
        let silent = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let url = try WebSocketURL(parsing: "ws://\(silent.address)/")
        let error = #expect(throws: TransportError.self) {
            try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 200))
        }
        #expect(error?.code == .timeout)
        #expect(error?.message == "timed out waiting for the WebSocket upgrade from \(url)")
    }

    @Test func refusedUpgradeShowsStatusAndReason() throws {
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let url = try WebSocketURL(parsing: server.url + "/nowhere")
        let error = #expect(throws: TransportError.self) {
            try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 5_000))
        }
        #expect(error?.code == .upgrade)
        #expect(error?.httpStatus?.code == 404)
        #expect(error?.message == "\(url): server refused the WebSocket upgrade: HTTP 404 Not Found")
    }

    @Test func plainHTTPRoutes() throws {
        var configuration = WebSocketServer.Configuration()
        configuration.metrics = { "conclave_sessions 0\n" }
        let server = try BackgroundWebSocketServer(configuration: configuration)
        defer { server.stop() }
        let health = try rawHTTP("GET /health HTTP/1.1\r\nHost: x\r\n\r\n", to: server.address)
        #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n") && health.hasSuffix("\r\n\r\nok"))
        let metrics = try rawHTTP("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", to: server.address)
        #expect(metrics.hasPrefix("HTTP/1.1 200 OK\r\n") && metrics.hasSuffix("\r\n\r\nconclave_sessions 0\n"))
        let root = try rawHTTP("GET / HTTP/1.1\r\nHost: x\r\n\r\n", to: server.address)
        #expect(root.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
        let other = try rawHTTP("GET /other HTTP/1.1\r\nHost: x\r\n\r\n", to: server.address)
        #expect(other.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        let garbage = try rawHTTP("\u{1}\u{2}\r\n\r\n", to: server.address)
        #expect(garbage.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
    }

    @Test func silentConnectionIsDroppedAtTheUpgradeDeadline() throws {
        var configuration = WebSocketServer.Configuration()
        configuration.upgradeTimeoutMilliseconds = 100
        let server = try BackgroundWebSocketServer(configuration: configuration)
        defer { server.stop() }
        let response = try rawHTTP("GET / HTTP/1.1\r\n", to: server.address)
        #expect(response == "")
    }

    /// Many connections at once, one of them stalled mid-request: every other one is served.
    @Test func manyConnectionsAreServedDespiteAStalledOne() throws {
        let server = try BackgroundWebSocketServer()
        defer { server.stop() }
        let stalled = try TransportStream.connect(to: server.address, tls: nil, deadline: .after(milliseconds: 2_000))
        try writeAll(Array("GET / HTTP/1.1\r\nHost: x\r\n".utf8), to: stalled)
        let url = try WebSocketURL(parsing: server.url)
        let clients = try (0..<200).map { _ in
            try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 5_000))
        }
        for (index, client) in clients.enumerated() {
            try client.send(binary: [UInt8(truncatingIfNeeded: index)])
        }
        let deadline = MonotonicInstant.after(milliseconds: 10_000)
        for (index, client) in clients.enumerated() {
            #expect(try client.nextEvent(deadline: deadline) == .binary([UInt8(truncatingIfNeeded: index)]))
        }
    }
}
