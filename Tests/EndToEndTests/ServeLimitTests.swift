import Glibc
import PostgresFixture
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
        try sendUpgradeRequest(fd)
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
        try sendUpgradeRequest(fd)
        // 32 MiB of pings at most: the server stops reading once the unread pongs pass its bound, and the write
        // then times out.
        let burst = Self.pingBurst
        var written = 0
        while written < 32 << 20 {
            let count = write(fd, burst, burst.count)
            guard count > 0 else { break }
            written += count
        }
        let after = try #require(server.residentBytes)
        // Before the bound, the pongs of those pings pinned about as much as was sent.
        #expect(ServeProcess.isSanitized || after - before < 16 << 20,
                "resident memory grew from \(before) to \(after) bytes")
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))
    }

    /// Sixty strangers flooding pings without reading a pong, and one sending the header of a message of 16 MiB
    /// less a byte and part of its body, hold less than conclave-serve(1) says (Limits: 192 KiB each), while a
    /// session logs in, posts and receives, and `/health` answers.
    @Test(.singleServer("bounds one process's memory and reads its handshake count"))
    func sixtyPingFloodsAndAnOversizedHeaderStayWithinTheDocumentedBound() throws {
        // The strangers must still be in their handshake when memory is measured.
        let server = try ServeProcess(["--handshake-timeout", "120"])
        let alice = try ServeClient.session(server.url, ServeLimitTests.alice, register: ("alice", "laptop"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        #expect(try alice.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        let before = try #require(server.residentBytes)

        var flooders: [Int32] = []
        defer { for fd in flooders { close(fd) } }
        for _ in 0..<60 {
            // Small socket buffers: the kernel holds little per flooder, and the server's bound is what stops it.
            let fd = try connectLoopback(port: server.port, bufferBytes: 8 * 1024)
            flooders.append(fd)
            try sendUpgradeRequest(fd)
        }
        let taken = Self.flood(flooders, with: Self.pingBurst, atMost: 8 << 20)
        #expect(taken.allSatisfy { $0 < 8 << 20 }, "a flooder was read without bound: \(taken)")

        // Before login a message may not pass 8 KiB: the header alone ends the connection, nothing is buffered.
        let oversized = try connectLoopback(port: server.port)
        defer { close(oversized) }
        try sendUpgradeRequest(oversized)
        let length = ProtocolMessage.maximumEncodedSize - 1
        let lengthBytes = (0..<8).reversed().map { UInt8(truncatingIfNeeded: length >> ($0 * 8)) }
        let header: [UInt8] = [0x82, 0x80 | 127] + lengthBytes + [0, 0, 0, 0]
        let part = header + [UInt8](repeating: 0x62, count: 64 * 1024)
        try #require(write(oversized, part, part.count) == part.count)

        let after = try #require(server.residentBytes)
        let bound = 61 * Self.boundPerStranger
        #expect(ServeProcess.isSanitized || after - before < bound,
                "resident memory grew from \(before) to \(after) bytes, over \(bound)")
        // The flooders are held, not dropped: all sixty are still in the handshake (and the oversized one may
        // still be closing).
        let (status, metrics) = try httpGet(port: server.port, path: "/metrics")
        #expect(status == 200)
        let handshakes = metrics.split(separator: "\n").first { $0.hasPrefix("conclave_handshakes ") }
        #expect(handshakes == "conclave_handshakes 60" || handshakes == "conclave_handshakes 61")

        let bob = try ServeClient.session(server.url, ServeLimitTests.bob, register: ("bob", "desk"))
        #expect(try bob.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        let from = try #require(bob.path)
        #expect(try bob.request(.channelMsg(channel: "ops", from: from, payload: .plain("still here")))
            == .ack(detail: nil))
        #expect(try alice.next() == .channelMsg(channel: "ops", from: from, payload: .plain("still here")))
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))

        // The oversized message got a Close saying 1009 (message too big), then the end.
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(oversized, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer.prefix(count)
        }
        #expect(received.firstRange(of: [0x88, 0x02, 0x03, 0xF1]) != nil)
    }

    /// What conclave-serve(1) (Limits) says one connection may hold before login: 8 KiB of a message, 64 KiB of
    /// control frames queued, with its own state and the allocator's slack under 192 KiB in all.
    static let boundPerStranger = 192 * 1024

    /// Masked pings of 125 bytes (a zero mask leaves the payload as is), 512 of them.
    static let pingBurst: [UInt8] = {
        let ping: [UInt8] = [0x89, 0x80 | 125, 0, 0, 0, 0] + Array(repeating: 0x61, count: 125)
        return Array([[UInt8]](repeating: ping, count: 512).joined())
    }()

    /// Writes `burst` over and over to every descriptor without blocking and without reading, each continuing
    /// where its last write stopped, until none has taken a byte for 300 ms (the server stopped reading them and
    /// the socket buffers are full), each has taken `limit` bytes, or 30 s pass; the bytes each took.
    static func flood(_ fds: [Int32], with burst: [UInt8], atMost limit: Int) -> [Int] {
        let period = burst.count / 512
        var taken = [Int](repeating: 0, count: fds.count)
        let deadline = MonotonicInstant.after(milliseconds: 30_000)
        var quietSince = MonotonicInstant.now()
        while !deadline.hasPassed && MonotonicInstant.now().nanoseconds - quietSince.nanoseconds < 300_000_000 {
            var progressed = false
            for (index, fd) in fds.enumerated() where taken[index] < limit {
                let offset = taken[index] % period
                let count = burst[offset...].withUnsafeBytes {
                    send(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT) | Int32(MSG_NOSIGNAL))
                }
                if count > 0 {
                    taken[index] += count
                    progressed = true
                }
            }
            if progressed { quietSince = .now() } else { usleep(5_000) }
        }
        return taken
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

/// Issue 15 item 4: a server with many channels stays responsive to everyone while one session lists them all.
@Suite("conclave-serve many channels end to end")
struct ServeManyChannelsTests {
    static let channelCount = 50_000

    /// Adds `count` public channels created by alice to the database of `server` with the `sqlite3` shell, far
    /// faster than as many `create_channel` requests; `name` is an SQL expression of their number `i`, 1….
    private static func addChannels(_ count: Int, named name: String, to server: ServeProcess) throws {
        let database = try #require(server.dataDirectory) + "/conclave.sqlite3"
        let script = """
            .timeout 5000
            WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < \(count))
            INSERT INTO channels (name, visibility, created_by, created_at_ms)
            SELECT \(name), 0, 'alice', 0 FROM n;
            """
        let outcome = try ToolProcess.run(
            "/usr/bin/sqlite3", arguments: [database], environment: ["HOME": server.directory], stdin: script,
            timeout: 60)
        try #require(outcome.status == 0, "sqlite3: \(outcome.stderrText)")
    }

    @Test(.singleServer("fills its SQLite file with channels"))
    func sixtyPipelinedListsOfFiftyThousandChannelsStarveNobody() throws {
        let first = try ServeProcess(storage: .dataDirectory)
        try Self.registerEveryone(on: first)
        first.signal(SIGTERM)
        #expect(first.waitForExit(milliseconds: 10_000) == 0)
        try Self.addChannels(Self.channelCount, named: "printf('c%05d', i)", to: first)
        let server = try ServeProcess(restarting: first)
        let lister = try Self.sixtyListsStarveNobody(on: server)

        // With 70,000 more of 256 bytes the list passes 16 MiB: the request is answered with an error, and the
        // connection stays.
        try Self.addChannels(70_000, named: "'l' || hex(zeroblob(125)) || printf('%05d', i)", to: server)
        let refusal = try lister.request(.listChannels, within: 60_000)
        guard case let .error(.internal(text)) = refusal else {
            Issue.record("expected an internal error, got \(refusal.typeName)")
            return
        }
        #expect(text.hasPrefix("reply too large: channel_list of "))
        #expect(try lister.request(.ping) == .pong)
    }

    /// The same on PostgreSQL, where the core runs on a thread of its own and takes one request from each
    /// connection in turn (issue 16 item 1).
    @Test func sixtyPipelinedListsOfFiftyThousandChannelsStarveNobodyOnPostgreSQL() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let first = try ServeProcess(storage: .postgres(url))
        try Self.registerEveryone(on: first)
        first.signal(SIGTERM)
        #expect(first.waitForExit(milliseconds: 10_000) == 0)
        try TemporaryPostgres.execute("""
            INSERT INTO channels (name, visibility, created_by, created_at_ms)
            SELECT convert_to('c' || lpad(i::text, 5, '0'), 'UTF8'), 0, convert_to('alice', 'UTF8'), 0
            FROM generate_series(1, \(Self.channelCount)) AS i
            """, on: url)
        let server = try ServeProcess(storage: .postgres(url))
        _ = try Self.sixtyListsStarveNobody(on: server)
    }

    /// Alice (who creates the public channel `ops`), bob and carol registered on `server`.
    private static func registerEveryone(on server: ServeProcess) throws {
        let alice = try ServeClient.session(server.url, ServeLimitTests.alice, register: ("alice", "laptop"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        _ = try ServeClient.session(server.url, ServeLimitTests.bob, register: ("bob", "desk"))
        _ = try ServeClient.session(server.url, ServeLimitTests.carol, register: ("carol", "phone"))
    }

    /// Carol pipelines sixty `list_channels` on `server`, which holds ``channelCount`` channels and `ops`; meanwhile
    /// alice logs in and posts, bob receives and `/health` answers, each within the usual 5 s; then every list comes.
    /// Returns carol's session.
    private static func sixtyListsStarveNobody(on server: ServeProcess) throws -> ServeClient {
        let bob = try ServeClient.session(server.url, ServeLimitTests.bob)
        #expect(try bob.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        let lister = try ServeClient.session(server.url, ServeLimitTests.carol)
        for _ in 0..<60 { try lister.send(.listChannels) }

        // None waits for the sixty lists.
        let alice = try ServeClient.session(server.url, ServeLimitTests.alice)
        #expect(try alice.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        let from = try #require(alice.path)
        #expect(try alice.request(.channelMsg(channel: "ops", from: from, payload: .plain("still served")))
            == .ack(detail: nil))
        #expect(try bob.next() == .channelMsg(channel: "ops", from: from, payload: .plain("still served")))
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))

        // Every request got its one reply: all the channels, in one frame under 16 MiB.
        for index in 0..<60 {
            let reply = try lister.next(within: 60_000)
            guard case let .channelList(channels) = reply else {
                Issue.record("reply \(index): expected channel_list, got \(reply.typeName)")
                return lister
            }
            #expect(channels.count == channelCount + 1)
            #expect(channels.first?.name == "c00001" && channels.last?.name == "ops")
        }
        #expect(try lister.request(.ping) == .pong)
        return lister
    }
}
