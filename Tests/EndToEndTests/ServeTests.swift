import Glibc
import Testing
@testable import ConclaveTransport
@testable import ConclaveWire

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
        guard case let .challenge(nonce) = try thief.next() else { throw ToolProcessError(description: "challenge") }
        let carol = TestIdentity(seedStart: 200)
        try thief.send(.register(username: "alice", machine: "m", pubkey: carol.publicKey))
        try thief.send(.auth(pubkey: carol.publicKey, signature: carol.sign(nonce)))
        #expect(thief.framesUntilClosed() == [
            .error(.unauthorized("username `alice` is reserved for a different key")),
        ])
        // One instance of a deployment counts only its own sessions and frames.
        if !ServeProcess.isDeployment {
            let metrics = try httpGet(port: server.port, path: "/metrics").body
            #expect(metrics.contains("conclave_sessions 3\n"))
        }
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
            throw ToolProcessError(description: "expected history, got \(history)")
        }
        #expect(channel == "ops")
        #expect(messages.map(\.payload) == [.plain("deploy done")])
        #expect(messages.map(\.from) == [alicePath])

        // A whisper to oneself arrives before its ack.
        #expect(try alice.request(.whisper(from: alicePath, target: alicePath, payload: .plain("note")))
            == .whisper(from: alicePath, target: alicePath, payload: .plain("note")))
        #expect(try alice.next() == .ack(detail: nil))
    }

    @Test func aNewerConnectionOnTheSamePathSupersedesTheOlder() throws {
        let server = try ServeProcess()
        let older = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        let newer = try ServeClient.session(server.url, Self.alice)
        #expect(older.framesUntilClosed() == [
            .error(.unauthorized("session superseded by a newer connection for the same session path")),
        ])
        #expect(try newer.request(.who(channel: nil)) == .presence(channel: nil, sessions: [try #require(newer.path)]))
    }

    @Test(.singleServer("restarts on its data directory"))
    func historySurvivesKillNineAndRestart() throws {
        let server = try ServeProcess(storage: .dataDirectory)
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
        #expect(server.log.contains("(data: \(try #require(server.dataDirectory))/conclave.sqlite3)"))

        let restarted = try ServeProcess(restarting: server)
        let alice = try ServeClient.session(restarted.url, Self.alice)
        #expect(alice.connection.serverID == serverID)
        #expect(try alice.request(.join(channel: "log", token: nil)) == .joined(channel: "log"))
        let history = try alice.request(.readSince(channel: "log", sinceMs: 0))
        guard case let .history(_, messages) = history else {
            throw ToolProcessError(description: "expected history, got \(history)")
        }
        #expect(messages.map(\.payload) == (1...3).map { .plain("entry \($0)") })
    }

    /// Scripts wait for the "listening on" line, so it is the first line on stderr; the start-up retention sweep
    /// and the admin lines come after it.
    @Test(.singleServer("reads its stderr"))
    func listeningOnIsTheFirstLineOfStderr() throws {
        for storage in [ServeProcess.Storage.memory, .dataDirectory] {
            let server = try ServeProcess(["--admin", "alice"], storage: storage)
            let first = server.log.split(separator: "\n").first ?? ""
            #expect(first.hasPrefix("conclave-serve: listening on ws://127.0.0.1:\(server.port) "), "\(server.log)")
        }
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

    @Test func hostileMessagesNeverBringTheServerDown() throws {
        let server = try ServeProcess()
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        #expect(try alice.request(.admin(.createChannel(name: "c", visibility: .public))) == .ack(detail: "c"))
        // Fixed pseudo-random bytes (a linear congruential generator), so that a failure can be replayed.
        var state: UInt64 = 0x5EED
        func nextByte() -> UInt8 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        for round in 0..<200 {
            let bytes = (0..<Int(nextByte() % 48)).map { _ in nextByte() }
            // Half of the rounds after a valid handshake, half in the middle of one.
            let client: ServeClient
            if round.isMultiple(of: 2) {
                client = try ServeClient.session(server.url, Self.alice, handle: "fuzz\(round)")
            } else {
                client = try ServeClient(url: server.url)
                try client.send(.hello(protocolVersion: 1, session: "fuzz\(round)"))
                _ = try client.next()
            }
            try client.send(bytes: bytes)
            // Whatever it was (a valid frame by chance, or garbage), the connection gets an answer or an end.
            _ = client.framesUntilClosed(within: 100)
        }
        #expect(try httpGet(port: server.port, path: "/health") == (200, "ok"))
        #expect(try alice.request(.ping) == .pong)
        #expect(!server.hasExited)
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
        // One instance of a deployment counts only its own sessions and frames.
        if !ServeProcess.isDeployment {
            let metrics = try httpGet(port: server.port, path: "/metrics").body
            #expect(metrics.contains("conclave_drops_total{reason=\"idle_timeout\"} 1\n"))
        }
    }

    @Test(arguments: [
        ["--bogus"],
        ["--ephemeral", "--data-dir", "/tmp/x"],
        ["--store", "mysql://db/conclave"],
        ["--store", "postgres://db/conclave", "--data-dir", "/tmp/x"],
        ["--store", "postgres://db/conclave", "--ephemeral"],
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
        // One instance of a deployment counts only its own sessions and frames.
        if !ServeProcess.isDeployment {
            let metrics = try httpGet(port: server.port, path: "/metrics").body
            #expect(metrics.contains("conclave_drops_total{reason=\"slow_consumer\"} 1\n"))
        }
        #expect(try alice.request(.ping) == .pong)
    }

    @Test func thousandsOfPipelinedPostsAreNotASlowConsumer() throws {
        let server = try ServeProcess()
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(server.url, Self.bob, register: ("bob", "desk"))
        #expect(try alice.request(.admin(.createChannel(name: "p", visibility: .public))) == .ack(detail: "p"))
        #expect(try alice.request(.join(channel: "p", token: nil)) == .joined(channel: "p"))
        #expect(try bob.request(.join(channel: "p", token: nil)) == .joined(channel: "p"))
        // More than the 1024-frame bound, small enough for the sockets to hold, so the server reads them all
        // in one go: every ack and delivery must leave as it is made, not count against the bound.
        let from = try #require(alice.path)
        let count = 2_500
        for index in 0..<count {
            try alice.send(.channelMsg(channel: "p", from: from, payload: .plain(String(index % 10))))
        }
        for _ in 0..<count { #expect(try alice.next() == .ack(detail: nil)) }
        for index in 0..<count {
            #expect(try bob.next() == .channelMsg(channel: "p", from: from, payload: .plain(String(index % 10))))
        }
        #expect(!server.log.contains("slow consumer"))
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
            throw ToolProcessError(description: "expected a challenge over TLS, got \(String(describing: event))")
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

    @Test func withoutAStorageFlagStateGoesToTheXDGDataDirectory() throws {
        let server = try ServeProcess(storage: .xdgDefault)
        let directory = try #require(server.dataDirectory)
        #expect(server.log.contains("(data: \(directory)/conclave.sqlite3)"))
        var status = stat()
        #expect(stat(directory + "/conclave.sqlite3", &status) == 0)
        #expect(stat(directory, &status) == 0 && status.st_mode & 0o777 == 0o700)
    }

    @Test func anUnusableDataDirectoryFailsWithStatusOne() throws {
        let (status, stderr) = try ServeProcess.run(["--bind", "127.0.0.1:0", "--data-dir", "/proc/conclave"])
        #expect(status == 1)
        #expect(stderr.contains("/proc/conclave"))
        // No storage flag and no usable default: HOME is under /proc in these runs, where nothing can be made.
        let (defaultStatus, defaultError) = try ServeProcess.run(["--bind", "127.0.0.1:0"])
        #expect(defaultStatus == 1)
        #expect(defaultError.contains("/proc/conclave-test-home"))
    }
}
