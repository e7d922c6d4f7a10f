import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// Issue 15: hostile sizes and loads against the real `conclave-serve`. Every request gets exactly one reply
/// (PROTOCOL.md §6.3) and every other session stays served.
@Suite("conclave-serve limits end to end")
struct ServeLimitTests {
    static let alice = TestIdentity(seedStart: 0)
    static let bob = TestIdentity(seedStart: 100)
    static let carol = TestIdentity(seedStart: 200)
    static let limit = ProtocolMessage.maximumEncodedSize

    /// Alice and bob subscribed to `ops`, carol online elsewhere.
    private static func channelWithThree(_ server: ServeProcess) throws -> (ServeClient, ServeClient, ServeClient) {
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(server.url, Self.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(server.url, Self.carol, register: ("carol", "phone"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        #expect(try alice.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        #expect(try bob.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        return (alice, bob, carol)
    }

    @Test func twoLargePostsDoNotPoisonHistory() throws {
        let server = try ServeProcess()
        let (alice, bob, carol) = try Self.channelWithThree(server)
        let from = try #require(alice.path)
        let big = String(repeating: "h", count: 9 << 20)
        for _ in 0..<2 {
            #expect(try alice.request(.channelMsg(channel: "ops", from: from, payload: .plain(big)))
                == .ack(detail: nil))
            #expect(try bob.next() == .channelMsg(channel: "ops", from: from, payload: .plain(big)))
        }
        // Together they pass the cap: each page holds what fits, and the reader pages on from its last row.
        var payloads: [Payload] = []
        var since: Int64 = 0
        for _ in 0..<4 {
            guard case let .history(_, page) = try bob.request(.readSince(channel: "ops", sinceMs: since)),
                  let last = page.last else { break }
            payloads += page.map(\.payload)
            since = last.tsMs
        }
        #expect(payloads == [.plain(big), .plain(big)])
        #expect(try carol.request(.ping) == .pong)
        #expect(try alice.request(.ping) == .pong)
    }

    @Test func aPostOverTheCapOnceStampedIsRefusedAndNobodyIsDisconnected() throws {
        let server = try ServeProcess()
        let (alice, bob, carol) = try Self.channelWithThree(server)
        // Exactly the cap as sent with a one-letter claimed path; the stamped `alice/laptop/main` is longer.
        let claimed = SessionPath(user: "a", machine: "b", session: "c")
        let overhead = ProtocolMessage.channelMessageSize(channel: "ops", from: claimed, payload: .plain(""))
        let payload = Payload.plain(String(repeating: "x", count: Self.limit - overhead - 4))
        let post = ProtocolMessage.channelMsg(channel: "ops", from: claimed, payload: payload)
        #expect(post.encoded().count <= Self.limit)
        guard case let .error(.malformedFrame(text)) = try alice.request(post) else {
            Issue.record("expected malformed_frame")
            return
        }
        #expect(text.hasPrefix("message too large"))
        let bobPath = try #require(bob.path)
        let whisperOverhead = ProtocolMessage.whisperSize(from: claimed, target: bobPath, payload: .plain(""))
        let whisperPayload = Payload.plain(String(repeating: "w", count: Self.limit - whisperOverhead - 4))
        let whisper = ProtocolMessage.whisper(from: claimed, target: bobPath, payload: whisperPayload)
        guard case .error(.malformedFrame) = try alice.request(whisper) else {
            Issue.record("expected malformed_frame for the whisper")
            return
        }
        #expect(try bob.request(.ping) == .pong)
        #expect(try bob.request(.readSince(channel: "ops", sinceMs: 0)) == .history(channel: "ops", messages: []))
        #expect(try carol.request(.ping) == .pong)
        #expect(try alice.request(.ping) == .pong)
    }

    @Test func longNamesAreRefusedAndListsStayAnswerable() throws {
        let server = try ServeProcess()
        let (alice, _, carol) = try Self.channelWithThree(server)
        let long = String(repeating: "n", count: 1 << 20)
        #expect(try alice.request(.admin(.createChannel(name: long, visibility: .public)))
            == .error(.malformedFrame("invalid channel name: longer than 256 bytes")))
        // Before login a message may not pass 8 KiB: a 1 MiB hello ends the connection without a reply (§2.4).
        let hasty = try ServeClient(url: server.url)
        try? hasty.send(.hello(protocolVersion: 1, session: long))
        #expect(hasty.framesUntilClosed() == [])
        let stranger = try ServeClient(url: server.url)
        try stranger.send(.hello(protocolVersion: 1, session: String(repeating: "h", count: 1024)))
        guard case let .challenge(nonce) = try stranger.next() else { throw ToolProcessError(description: "challenge") }
        try stranger.send(.auth(pubkey: Self.carol.publicKey, signature: Self.carol.sign(nonce)))
        #expect(stranger.framesUntilClosed()
            == [.error(.malformedFrame("invalid session handle: longer than 256 bytes"))])
        guard case .channelList = try carol.request(.listChannels) else {
            Issue.record("expected channel_list")
            return
        }
        guard case .presence = try carol.request(.who(channel: nil)) else {
            Issue.record("expected presence")
            return
        }
    }

    @Test func sigtermUnderAHundredPostersExitsZeroPromptly() throws {
        let server = try ServeProcess()
        var posters: [ServeClient] = []
        for index in 0..<100 {
            let identity = TestIdentity(seedStart: UInt8(index + 1))
            let client = try ServeClient.session(server.url, identity, register: ("u\(index)", "m"))
            #expect(try client.request(.admin(.createChannel(name: "c\(index)", visibility: .public)))
                == .ack(detail: "c\(index)"))
            #expect(try client.request(.join(channel: "c\(index)", token: nil)) == .joined(channel: "c\(index)"))
            posters.append(client)
        }
        // Each poster pipelines more than one loop turn of posts (about 20 KB each, which the sockets hold), so
        // the server is deep in work when the signal comes.
        for (index, client) in posters.enumerated() {
            let from = try #require(client.path)
            for number in 0..<300 {
                try client.send(.channelMsg(channel: "c\(index)", from: from, payload: .plain("post \(number)")))
            }
        }
        let start = MonotonicInstant.now()
        server.signal(SIGTERM)
        // Generous: the grace period is 2 s.
        #expect(server.waitForExit(milliseconds: 3_000) == 0)
        #expect(MonotonicInstant.now().nanoseconds - start.nanoseconds < 3_000_000_000)
    }

    @Test func anUpgradeWithoutHostIsABadRequest() throws {
        let server = try ServeProcess()
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        let request = "GET / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        let bytes = Array(request.utf8)
        try #require(write(fd, bytes, bytes.count) == bytes.count)
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = read(fd, &buffer, buffer.count)
        #expect(String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).hasPrefix("HTTP/1.1 400 "))
    }

    @Test(.singleServer("locks its data directory"))
    func aSecondServerOnOneDataDirectoryIsRefused() throws {
        let server = try ServeProcess(storage: .dataDirectory)
        let directory = try #require(server.dataDirectory)
        let (status, stderr) = try ServeProcess.run(["--data-dir", directory, "--bind", "127.0.0.1:0"])
        #expect(status == 1)
        #expect(stderr.contains("is in use by another conclave-serve"))
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))
    }

    @Test func aTimedOutHandshakeIsClosedPromptlyAfterItsError() throws {
        let server = try ServeProcess(["--handshake-timeout", "0.3"])
        // Upgraded, then silent, and never answering the server's Close.
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        let bytes = Array(request.utf8)
        try #require(write(fd, bytes, bytes.count) == bytes.count)
        let start = MonotonicInstant.now()
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else {
                // The end, not the 5 s read timeout of connectLoopback.
                #expect(count == 0)
                break
            }
            received += buffer.prefix(count)
        }
        // The error came first, then the end, well before the 5 s close timeout.
        let error = ProtocolMessage.error(.unauthorized("handshake timed out")).encoded()
        #expect(received.firstRange(of: error) != nil)
        #expect(MonotonicInstant.now().nanoseconds - start.nanoseconds < 3_000_000_000)
    }
}

/// Issue 15 item 2: what a connection that has not logged in can make the server hold.
@Suite("conclave-serve memory before login end to end")
struct ServeMemoryBoundTests {
    @Test func aPingFloodThatNeverReadsItsPongsPinsLittle() throws {
        let server = try ServeProcess()
        let before = try #require(server.residentBytes)
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        try #require(write(fd, request, request.utf8.count) == request.utf8.count)
        // Masked pings of 125 bytes (a zero mask leaves the payload as is), 32 MiB of them at most: the server
        // stops reading once the unread pongs pass its bound, and the write then times out.
        let ping: [UInt8] = [0x89, 0x80 | 125, 0, 0, 0, 0] + Array(repeating: 0x61, count: 125)
        let burst = Array([[UInt8]](repeating: ping, count: 512).joined())
        var written = 0
        while written < 32 << 20 {
            let count = write(fd, burst, burst.count)
            guard count > 0 else { break }
            written += count
        }
        let after = try #require(server.residentBytes)
        // Before the bound, the pongs of those pings pinned about as much as was sent.
        #expect(after - before < 16 << 20, "resident memory grew from \(before) to \(after) bytes")
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))
    }
}

/// Issue 15 item 6: connections per source address.
@Suite("conclave-serve connection bounds end to end")
struct ServeConnectionBoundTests {
    @Test(.singleServer("--max-per-ip bounds each instance"))
    func connectionsPastMaxPerIPAreClosedAtOnce() throws {
        let server = try ServeProcess(["--max-per-ip", "2"])
        let first = try ServeClient.session(server.url, ServeLimitTests.alice, register: ("alice", "laptop"))
        let second = try ServeClient.session(server.url, ServeLimitTests.alice, handle: "two")
        // The third from 127.0.0.1 is closed before its upgrade.
        #expect(throws: (any Error).self) { _ = try ServeClient(url: server.url) }
        #expect(try first.request(.ping) == .pong)
        #expect(try second.request(.ping) == .pong)
        withExtendedLifetime(second) {}
        // A closed connection frees its place.
        first.connection.closeAndWait(deadline: .after(milliseconds: 2_000))
        var again: ServeClient?
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        while again == nil && !deadline.hasPassed {
            again = try? ServeClient.session(server.url, ServeLimitTests.alice, handle: "three")
            if again == nil { usleep(50_000) }
        }
        #expect(try again?.request(.ping) == .pong)
    }
}
