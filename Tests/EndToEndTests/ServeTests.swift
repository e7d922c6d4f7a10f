import Common
import Glibc
import Testing

/// The real `conclave-serve` binary on a loopback port chosen at run time, driven over real sockets.
@Suite("conclave-serve end to end")
struct ServeTests {
    static let alice = TestIdentity(seedStart: 0)
    static let bob = TestIdentity(seedStart: 100)

    @Test func plainHTTPRoutes() throws {
        let server = try ServeProcess()
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))
        #expect(try httpGet(port: server.port, path: "/").status == 426)
        #expect(try httpGet(port: server.port, path: "/nope").status == 404)
        let metrics = try httpGet(port: server.port, path: "/metrics")
        #expect(metrics.status == 200)
        #expect(metrics.body.contains("conclave_sessions 0\n"))
    }

    @Test func registrationThenAuthenticationInOrder() throws {
        let server = try ServeProcess(["--admin", "alice=\(Self.alice.publicKeyText)"])
        let first = try ServeClient(url: server.url)
        let serverID = try #require(first.connection.serverID)
        #expect(serverID.utf8.count == 32)
        try first.handshake(Self.alice, handle: "main", register: ("alice", "laptop"))
        #expect(first.path == SessionPath(user: "alice", machine: "laptop", session: "main"))
        #expect(first.isAdmin)
        // The first reply after the handshake answers the first request.
        #expect(try first.request(.ping) == .pong)

        let again = try ServeClient.session(server.url, Self.alice, handle: "other")
        #expect(again.path == SessionPath(user: "alice", machine: "laptop", session: "other"))
        #expect(again.connection.serverID == serverID)

        let bob = try ServeClient(url: server.url)
        try bob.handshake(Self.bob, handle: "main", register: ("bob", "desk"))
        #expect(!bob.isAdmin)
        // A pinned admin name is refused to another key.
        let thief = try ServeClient(url: server.url)
        try thief.send(.hello(protocolVersion: 1, session: "x"))
        guard case let .challenge(nonce) = try thief.next() else { throw ServeProcessError(description: "challenge") }
        let carol = TestIdentity(seedStart: 200)
        try thief.send(.register(username: "alice", machine: "m", pubkey: carol.publicKey))
        try thief.send(.auth(pubkey: carol.publicKey, signature: carol.sign(nonce)))
        #expect(thief.framesUntilClosed() == [
            .error(.unauthorized("username `alice` is reserved for a different key")),
        ])
        let metrics = try httpGet(port: server.port, path: "/metrics").body
        #expect(metrics.contains("conclave_sessions 3\n"))
    }

    @Test func postsReachOtherSubscribersButNotTheSender() throws {
        let server = try ServeProcess()
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(server.url, Self.bob, register: ("bob", "desk"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        #expect(try alice.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))
        #expect(try bob.request(.join(channel: "ops", token: nil)) == .joined(channel: "ops"))

        let alicePath = try #require(alice.path)
        let claimedSender = SessionPath(user: "mallory", machine: "m", session: "s")
        #expect(try alice.request(.channelMsg(channel: "ops", from: claimedSender, payload: .plain("deploy done")))
            == .ack(detail: nil))
        #expect(try bob.next() == .channelMsg(channel: "ops", from: alicePath, payload: .plain("deploy done")))
        #expect(alice.isQuiet(for: 300))

        let history = try bob.request(.readSince(channel: "ops", sinceMs: 0))
        guard case let .history(channel, messages) = history else {
            throw ServeProcessError(description: "expected history, got \(history)")
        }
        #expect(channel == "ops")
        #expect(messages.map(\.payload) == [.plain("deploy done")])
        #expect(messages.map(\.from) == [alicePath])

        // A whisper to oneself arrives before its ack.
        #expect(try alice.request(.whisper(from: alicePath, target: alicePath, payload: .plain("note")))
            == .whisper(from: alicePath, target: alicePath, payload: .plain("note")))
        #expect(try alice.next() == .ack(detail: nil))
    }

    @Test func historySurvivesKillNineAndRestart() throws {
        let server = try ServeProcess(durable: true)
        let serverID: String
        do {
            let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
            serverID = try #require(alice.connection.serverID)
            #expect(try alice.request(.admin(.createChannel(name: "log", visibility: .private)))
                == .ack(detail: "log"))
            #expect(try alice.request(.join(channel: "log", token: nil)) == .joined(channel: "log"))
            for index in 1...3 {
                #expect(try alice.request(.channelMsg(
                    channel: "log", from: try #require(alice.path), payload: .plain("entry \(index)")))
                    == .ack(detail: nil))
            }
            server.kill()
        }
        #expect(server.log.contains("data: \(server.directory)/data/conclave.sqlite3)"))

        let restarted = try ServeProcess(restarting: server)
        let alice = try ServeClient.session(restarted.url, Self.alice)
        #expect(alice.connection.serverID == serverID)
        #expect(try alice.request(.join(channel: "log", token: nil)) == .joined(channel: "log"))
        let history = try alice.request(.readSince(channel: "log", sinceMs: 0))
        guard case let .history(_, messages) = history else {
            throw ServeProcessError(description: "expected history, got \(history)")
        }
        #expect(messages.map(\.payload) == (1...3).map { .plain("entry \($0)") })
    }

    @Test func ephemeralServersGetANewIdentityEachStart() throws {
        let first = try ServeProcess()
        let second = try ServeProcess()
        let one = try ServeClient(url: first.url).connection.serverID
        let other = try ServeClient(url: second.url).connection.serverID
        #expect(one != nil && other != nil && one != other)
    }

    @Test(arguments: [SIGTERM, SIGINT])
    func aSignalClosesEverySessionAndExitsZero(_ signal: Int32) throws {
        let server = try ServeProcess()
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        server.signal(signal)
        #expect(alice.framesUntilClosed() == [.error(.unauthorized("session terminated"))])
        #expect(server.waitForExit(milliseconds: 5_000) == 0)
        #expect(server.log.contains("stopped"))
    }

    @Test func undecodableMessagesEndTheConnectionWithoutAnError() throws {
        let server = try ServeProcess()
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        // Text messages are ignored.
        try alice.connection.send(text: "hello?")
        #expect(try alice.request(.ping) == .pong)
        try alice.send(bytes: [0xFF, 0xFF])
        #expect(alice.framesUntilClosed() == [])
        // During the handshake too.
        let stranger = try ServeClient(url: server.url)
        try stranger.send(bytes: [])
        #expect(stranger.framesUntilClosed() == [])
    }

    @Test func theHandshakeDeadlineCoversTheUpgrade() throws {
        let server = try ServeProcess(["--handshake-timeout", "0.3"])
        // Stuck before the upgrade: the socket is simply closed.
        let fd = try connectLoopback(port: server.port)
        defer { close(fd) }
        var byte: UInt8 = 0
        #expect(read(fd, &byte, 1) == 0)
        // Upgraded but silent: the reason comes first.
        let silent = try ServeClient(url: server.url)
        #expect(silent.framesUntilClosed() == [.error(.unauthorized("handshake timed out"))])
    }

    @Test func silentSessionsAreReaped() throws {
        let server = try ServeProcess(["--idle-timeout", "0.3", "--reap-interval", "0.1"])
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        #expect(alice.framesUntilClosed() == [.error(.unauthorized("idle timeout: no heartbeat"))])
        let metrics = try httpGet(port: server.port, path: "/metrics").body
        #expect(metrics.contains("conclave_drops_total{reason=\"idle_timeout\"} 1\n"))
    }

    @Test(arguments: [
        ["--bogus"],
        ["--ephemeral", "--data-dir", "/tmp/x"],
        ["--ephemeral", "--admin", "alice=AAAA"],
        ["--ephemeral", "--admin", "a/b"],
        ["--ephemeral", "--tls-cert", "cert.pem"],
        ["--ephemeral", "--idle-timeout", "0"],
        ["--ephemeral", "--max-queue-bytes", "lots"],
        ["--ephemeral", "--bind", "localhost"],
        ["--ephemeral", "extra"],
    ])
    func badFlagsAreUsageErrors(_ arguments: [String]) throws {
        let (status, stderr) = try ServeProcess.run(arguments)
        #expect(status == 64)
        #expect(stderr.hasPrefix("conclave-serve: "))
        #expect(stderr.split(separator: "\n").count == 1)
    }

    @Test func badEnvironmentIsAUsageErrorNamingTheVariable() throws {
        let (status, stderr) = try ServeProcess.run(["--ephemeral"], environment: ["CONCLAVE_BIND": "nowhere"])
        #expect(status == 64)
        #expect(stderr.contains("CONCLAVE_BIND"))
        let (adminStatus, adminError) = try ServeProcess.run(
            ["--ephemeral"], environment: ["CONCLAVE_ADMINS": "root,ops=short"])
        #expect(adminStatus == 64)
        #expect(adminError.contains("CONCLAVE_ADMINS") && adminError.contains("short"))
    }

    @Test func anAddressInUseFailsWithStatusOne() throws {
        let server = try ServeProcess()
        let (status, stderr) = try ServeProcess.run(["--ephemeral", "--bind", "127.0.0.1:\(server.port)"])
        #expect(status == 1)
        #expect(stderr.contains("127.0.0.1:\(server.port)"))
    }

    @Test func aSubscriberThatStopsReadingIsDroppedAsASlowConsumer() throws {
        let server = try ServeProcess(["--max-queue-bytes", "256K"])
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(server.url, Self.bob, register: ("bob", "desk"))
        #expect(try alice.request(.admin(.createChannel(name: "firehose", visibility: .public)))
            == .ack(detail: "firehose"))
        #expect(try alice.request(.join(channel: "firehose", token: nil)) == .joined(channel: "firehose"))
        #expect(try bob.request(.join(channel: "firehose", token: nil)) == .joined(channel: "firehose"))
        // Bob reads nothing while 32 MiB are posted: far more than loopback socket buffers and his queue hold.
        let body = String(repeating: "x", count: 64 << 10)
        let from = try #require(alice.path)
        for _ in 0..<512 {
            #expect(try alice.request(.channelMsg(channel: "firehose", from: from, payload: .plain(body)))
                == .ack(detail: nil))
        }
        let frames = try #require(bob.framesUntilClosed(within: 10_000))
        #expect(frames.last == .error(.unauthorized("slow consumer: outbound queue overflowed")))
        let post = ProtocolMessage.channelMsg(channel: "firehose", from: from, payload: .plain(body))
        #expect(frames.dropLast().allSatisfy { $0 == post })
        let metrics = try httpGet(port: server.port, path: "/metrics").body
        #expect(metrics.contains("conclave_drops_total{reason=\"slow_consumer\"} 1\n"))
        #expect(try alice.request(.ping) == .pong)
    }

    @Test func servesTLSDirectly() throws {
        let server = try ServeProcess.withSelfSignedCertificate()
        let trusting = try TLSClientContext(extraCAFile: server.directory + "/cert.pem")
        let url = try WebSocketURL(parsing: "wss://127.0.0.1:\(server.port)/")
        let connection = try WebSocketClient.connect(to: url, tls: trusting, deadline: .after(milliseconds: 5_000))
        defer { connection.closeAndWait(deadline: .after(milliseconds: 500)) }
        try connection.send(binary: ProtocolMessage.hello(protocolVersion: 1, session: "s").encoded())
        let event = try connection.nextEvent(deadline: .after(milliseconds: 5_000))
        guard case let .binary(bytes) = event, case .challenge = try ProtocolMessage(decoding: bytes) else {
            throw ServeProcessError(description: "expected a challenge over TLS, got \(String(describing: event))")
        }
        #expect(server.log.contains("listening on wss://127.0.0.1:\(server.port)"))
    }

    @Test func unreadableTLSFilesAreMissingConfiguration() throws {
        let (status, stderr) = try ServeProcess.run([
            "--ephemeral", "--bind", "127.0.0.1:0", "--tls-cert", "/nonexistent/c.pem", "--tls-key", "/nonexistent/k",
        ])
        #expect(status == 66)
        #expect(stderr.contains("/nonexistent/"))
    }
}
