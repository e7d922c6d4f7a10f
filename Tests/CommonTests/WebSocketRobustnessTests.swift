import Testing
@testable import ConclaveWire

/// Hostile and random input must end in an event or an error, never a trap; and two connections
/// talking to each other in memory must agree.
@Suite struct WebSocketRobustnessTests {
    @Test(arguments: [WebSocketRole.client, .server])
    func survivesRandomFrames(role: WebSocketRole) {
        var random = SplitMix64(seed: role == .client ? 1 : 2)
        for _ in 0..<2000 {
            var connection = WebSocketConnection(role: role, maximumMessageSize: 4096)
            for _ in 0..<4 {
                var chunk = random.chunk(maximumCount: 40)
                // Mostly well-formed first bytes, so the parser gets past the header checks too.
                if !chunk.isEmpty, random.next() % 2 == 0 {
                    chunk[0] = [0x81, 0x82, 0x01, 0x80, 0x89, 0x88][Int(random.next() % 6)]
                }
                if chunk.count > 1, random.next() % 2 == 0 {
                    chunk[1] = (role == .server ? 0x80 : 0) | UInt8(random.next() % 128)
                }
                connection.receive(chunk)
                while connection.nextEvent() != nil {}
                _ = connection.takeOutput()
            }
        }
    }

    @Test func survivesRandomHTTPHeads() {
        var random = SplitMix64(seed: 3)
        let alphabet = Array("GET / HTTP/1.1\r\n:Upgrade websocket Connection\t\u{1}\u{7F}é".utf8)
        for _ in 0..<2000 {
            var request = HTTPRequestParser(maximumHeadSize: 256)
            var handshake = try? WebSocketClientHandshake(
                host: "h", port: 80, path: "/", isSecure: false, maximumHeadSize: 256)
            for _ in 0..<4 {
                let chunk = random.chunk(maximumCount: 80).map { alphabet[Int($0) % alphabet.count] }
                    + [0x0D, 0x0A]
                _ = try? request.receive(chunk)
                _ = try? handshake?.receive(chunk)
            }
        }
    }

    @Test func clientAndServerTalkAndCloseInMemory() throws {
        var client = WebSocketConnection(role: .client)
        var server = WebSocketConnection(role: .server)
        let large = (0..<100_000).map { UInt8(truncatingIfNeeded: $0) }
        try client.sendBinary(large)
        try client.sendText("κόσμε")
        try client.sendPing([42])
        #expect(server.receiveEvents(client.takeOutput()) == [.binary(large), .text("κόσμε")])
        try server.sendBinary([1])
        try server.close(code: .goingAway, reason: "restart")
        let toClient = client.receiveEvents(server.takeOutput())
        #expect(toClient == [.pong([42]), .binary([1]), .closed(.goingAway, reason: "restart")])
        #expect(client.isClosed)
        #expect(server.state == .closing)
        #expect(server.receiveEvents(client.takeOutput()) == [.closed(.goingAway, reason: "")])
        #expect(server.isClosed && !server.hasPendingOutput && !client.hasPendingOutput)
    }
}
