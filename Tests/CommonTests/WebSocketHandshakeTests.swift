import Testing
@testable import ConclaveServer
@testable import ConclaveWire

@Suite struct WebSocketHandshakeTests {
    private static let rfcKey = "dGhlIHNhbXBsZSBub25jZQ=="

    private func response(_ lines: [String], body: [UInt8] = []) -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + body
    }

    private func upgradeResponse(key: String = rfcKey, extra: [String] = []) -> [String] {
        ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
         "Sec-WebSocket-Accept: \(WebSocketHandshakeKey.acceptValue(forKey: key))"] + extra
    }

    @Test func computesTheRFC6455AcceptExample() {
        #expect(WebSocketHandshakeKey.acceptValue(forKey: Self.rfcKey) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    /// FIPS 180-4 examples and the padding edges (55 and 64 bytes), since the accept key rests on our SHA-1.
    static let sha1Vectors: [(String, String)] = [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
        (String(repeating: "a", count: 55), "c1c8bbdc22796e28c0e15163d20899b65621d65a"),
        (String(repeating: "a", count: 64), "0098ba824b5c16427bd7a1122a5a442a25ec644d"),
        (String(repeating: "a", count: 1000), "291e9a6c66994949b57ba5e650361e98fc36b1ba"),
    ]

    @Test(arguments: sha1Vectors)
    func sha1MatchesTheStandardVectors(message: String, hex: String) {
        let digits = Array("0123456789abcdef")
        let text = SHA1.digest(Array(message.utf8)).map { "\(digits[Int($0 >> 4)])\(digits[Int($0 & 15)])" }
        #expect(text.joined() == hex)
    }

    @Test func generatesValidDistinctKeys() {
        let first = WebSocketHandshakeKey.generate()
        #expect(first.utf8.count == 24 && first.hasSuffix("=="))
        #expect(WebSocketHandshakeKey.isValid(first))
        #expect(first != WebSocketHandshakeKey.generate())
    }

    @Test(arguments: ["", "dGhlIHNhbXBsZSBub25jZQ", "dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZSE=",
                      "dGhlIHNhbXBsZSBub25jZ-==", "AAAAAAAAAAAAAAAAAAAAAAAAAAAA"])
    func refusesBadKeys(_ key: String) {
        #expect(!WebSocketHandshakeKey.isValid(key))
    }

    @Test func buildsTheClientRequest() throws {
        let handshake = try WebSocketClientHandshake(
            host: "example.com", port: 4390, path: "", isSecure: false, key: Self.rfcKey)
        let expected = "GET / HTTP/1.1\r\nHost: example.com:4390\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        #expect(String(decoding: handshake.request, as: UTF8.self) == expected)
    }

    @Test(arguments: [("h", 80, false, "Host: h\r\n"), ("h", 443, true, "Host: h\r\n"),
                      ("h", 443, false, "Host: h:443\r\n"),
                      ("::1", 9001, false, "Host: [::1]:9001\r\n")])
    func omitsTheDefaultPortFromHost(host: String, port: Int, isSecure: Bool, line: String) throws {
        let handshake = try WebSocketClientHandshake(host: host, port: port, path: "/x", isSecure: isSecure)
        #expect(String(decoding: handshake.request, as: UTF8.self).contains(line))
    }

    @Test(arguments: [("h", "no-slash"), ("h", "/a b"), ("h", "/a\r\nX: y"), ("", "/"), ("h/x", "/")])
    func refusesUnusableTargets(host: String, path: String) {
        #expect(throws: HTTPUpgradeError.self) {
            _ = try WebSocketClientHandshake(host: host, port: 80, path: path, isSecure: false)
        }
    }

    @Test func completesTheUpgradeAndKeepsTheLeftoverBytes() throws {
        var handshake = try WebSocketClientHandshake(host: "h", port: 80, path: "/", isSecure: false, key: Self.rfcKey)
        let frame = WebSocketFrame(opcode: .binary, payload: [0x0C]).encoded()
        let bytes = response(upgradeResponse(extra: ["X-Conclave-Server-Id: abc123"]), body: frame)
        var result: WebSocketClientHandshake.Upgraded?
        for byte in bytes where result == nil {
            result = try handshake.receive([byte])
        }
        let upgraded = try #require(result)
        #expect(upgraded.serverID == "abc123")
        // Fed byte by byte, the head ends on the final LF, so nothing is left over yet.
        #expect(upgraded.leftover.isEmpty)

        var whole = try WebSocketClientHandshake(host: "h", port: 80, path: "/", isSecure: false, key: Self.rfcKey)
        let atOnce = try #require(try whole.receive(bytes))
        #expect(atOnce.leftover == frame)
        #expect(atOnce.serverID == "abc123")
    }

    @Test func treatsTheServerIDAsOptionalAndHeadersCaseInsensitively() throws {
        var handshake = try WebSocketClientHandshake(host: "h", port: 80, path: "/", isSecure: false, key: Self.rfcKey)
        let lines = ["HTTP/1.1 101 Switching Protocols", "upgrade:  WebSocket ", "CONNECTION: keep-alive, UPGRADE",
                     "sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="]
        let upgraded = try #require(try handshake.receive(response(lines)))
        #expect(upgraded.serverID == nil)
    }

    @Test func reportsARefusalWithItsStatus() throws {
        var handshake = try WebSocketClientHandshake(host: "h", port: 80, path: "/", isSecure: false)
        let bytes = response(["HTTP/1.1 404 Not Found", "Content-Length: 0"])
        do {
            _ = try handshake.receive(bytes)
            Issue.record("a 404 was accepted")
        } catch {
            #expect(error.code == .refused)
            #expect(error.status == .notFound)
            #expect(error.description == "server refused the WebSocket upgrade: HTTP 404 Not Found")
            #expect(error.exitStatus == .unavailable)
        }
    }

    @Test(arguments: [
        ["HTTP/1.1 101 Switching Protocols", "Connection: Upgrade",
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
        ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket",
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="],
        ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: AAAA"],
        ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade"],
        ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "Sec-WebSocket-Extensions: permessage-deflate"],
        ["HTTP/1.1 101 Switching Protocols", "Upgrade: websocket", "Connection: Upgrade",
         "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", " folded"],
        ["HTTP/1.1 1O1 Switching Protocols"], ["ICY 200 OK"], ["HTTP/1.1 101 Switching Protocols", "No colon here"],
    ])
    func refusesIncompleteUpgrades(_ lines: [String]) throws {
        var handshake = try WebSocketClientHandshake(host: "h", port: 80, path: "/", isSecure: false, key: Self.rfcKey)
        #expect(throws: HTTPUpgradeError.self) { _ = try handshake.receive(response(lines)) }
    }

    @Test func capsTheResponseHead() throws {
        var handshake = try WebSocketClientHandshake(
            host: "h", port: 80, path: "/", isSecure: false, maximumHeadSize: 1024)
        #expect(try handshake.receive(Array("HTTP/1.1 101 OK\r\n".utf8)) == nil)
        #expect(throws: HTTPUpgradeError.self) {
            _ = try handshake.receive(Array("X: \(String(repeating: "y", count: 1100))\r\n".utf8))
        }
    }

    // MARK: Server side

    private func request(_ lines: [String], body: [UInt8] = []) throws -> (HTTPRequest, [UInt8]) {
        var parser = HTTPRequestParser()
        let request = try #require(try parser.receive(response(lines, body: body)))
        return (request, parser.leftover)
    }

    private static let upgradeRequest = [
        "GET /?x=1 HTTP/1.1", "Host: localhost:4390", "Upgrade: websocket", "Connection: keep-alive, Upgrade",
        "Sec-WebSocket-Key: \(rfcKey)", "Sec-WebSocket-Version: 13",
    ]

    @Test func parsesAnUpgradeRequestAndAnswers101() throws {
        let frame = WebSocketFrame(opcode: .binary, payload: [1]).encoded(maskingKey: WebSocketTestSupport.key)
        let (request, leftover) = try request(Self.upgradeRequest, body: frame)
        #expect(request.method == "GET" && request.path == "/" && request.target == "/?x=1")
        #expect(leftover == frame)
        let key = try request.webSocketKey()
        let answer = String(decoding: HTTPResponse.switchingProtocols(key: key, serverID: "sid"), as: UTF8.self)
        #expect(answer == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nx-conclave-server-id: sid\r\n\r\n")
    }

    @Test func serverAndClientHandshakesAgree() throws {
        var client = try WebSocketClientHandshake(host: "127.0.0.1", port: 4390, path: "/", isSecure: false)
        var parser = HTTPRequestParser()
        let request = try #require(try parser.receive(client.request))
        let answer = HTTPResponse.switchingProtocols(key: try request.webSocketKey(), serverID: "id")
        #expect(try client.receive(answer)?.serverID == "id")
    }

    @Test func parsesPlainRequestsForTheCallerToRoute() throws {
        let (health, _) = try request(["GET /health HTTP/1.1", "Host: x"])
        #expect(health.path == "/health" && !health.asksForWebSocket)
        let (old, _) = try request(["GET /health HTTP/1.0"])
        #expect(old.path == "/health" && old.version == "HTTP/1.0")
        let (oldUpgrade, _) = try request(["GET / HTTP/1.0"] + Self.upgradeRequest.dropFirst())
        #expect(throws: HTTPUpgradeError.self) { _ = try oldUpgrade.webSocketKey() }
        let (post, _) = try request(["POST / HTTP/1.1", "Host: x", "Content-Length: 0"])
        #expect(post.method == "POST")
        #expect(throws: HTTPUpgradeError.self) { _ = try post.webSocketKey() }
    }

    @Test func refusesAPlainGetWith426() throws {
        let (plain, _) = try request(["GET / HTTP/1.1", "Host: x"])
        do {
            _ = try plain.webSocketKey()
            Issue.record("accepted a plain GET")
        } catch {
            #expect(error.responseStatus == .upgradeRequired)
            let refusal = String(decoding: HTTPResponse.refusal(for: error), as: UTF8.self)
            #expect(refusal.hasPrefix("HTTP/1.1 426 Upgrade Required\r\n"))
            #expect(refusal.contains("Connection: close\r\n"))
        }
    }

    @Test(arguments: [
        ("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8", 426),
        ("Sec-WebSocket-Key: \(rfcKey)", "Sec-WebSocket-Key: c2hvcnQ=", 400),
        ("Sec-WebSocket-Key: \(rfcKey)", "X-Nothing: here", 400),
        ("Connection: keep-alive, Upgrade", "Connection: keep-alive", 426),
    ])
    func refusesBadUpgradeHeaders(original: String, replacement: String, status: Int) throws {
        let lines = Self.upgradeRequest.map { $0 == original ? replacement : $0 }
        let (request, _) = try request(lines)
        #expect(request.asksForWebSocket)
        #expect(throws: HTTPUpgradeError.self) { _ = try request.webSocketKey() }
        do { _ = try request.webSocketKey() } catch { #expect(error.responseStatus.code == status) }
    }

    @Test(arguments: [
        ["GET / HTTP/1.1", "Host: x", " folded"], ["GET / HTTP/2.0", "Host: x"], ["GET http://x/ HTTP/1.1"],
        ["GET  / HTTP/1.1"], ["G(T / HTTP/1.1"], ["GET / HTTP/1.1", "Bad Name: x"], ["GET / HTTP/1.1", ": x"],
        ["GET / HTTP/1.1", "X: a\u{1}b"], ["GET / HTTP/1.1\nHost: x"],
    ])
    func refusesMalformedRequestsWith400(_ lines: [String]) {
        var parser = HTTPRequestParser()
        do {
            _ = try parser.receive(response(lines))
            Issue.record("accepted \(lines)")
        } catch {
            #expect(error.responseStatus == .badRequest)
        }
    }

    @Test func capsTheRequestHead() {
        var parser = HTTPRequestParser(maximumHeadSize: 512)
        let bytes = Array(("GET / HTTP/1.1\r\n" + String(repeating: "X: y\r\n", count: 100)).utf8)
        do {
            _ = try parser.receive(bytes)
            Issue.record("accepted an oversized head")
        } catch {
            #expect(error.responseStatus == .requestHeaderFieldsTooLarge)
        }
    }

    @Test func buildsPlainResponses() {
        let health = String(decoding: HTTPResponse.plain(.ok, text: "ok"), as: UTF8.self)
        #expect(health == "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n"
            + "Connection: close\r\n\r\nok")
        let notAllowed = String(
            decoding: HTTPResponse.plain(.methodNotAllowed, text: "", extraHeaders: [("Allow", "GET")]), as: UTF8.self)
        #expect(notAllowed.contains("\r\nAllow: GET\r\n"))
    }
}
