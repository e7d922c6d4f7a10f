import Glibc
import Testing
import PostgresFixture
@testable import ConclaveWire

/// `conclave-serve --store` on a real PostgreSQL database (one per test, on the test process's server).
@Suite("conclave-serve on PostgreSQL")
struct ServePostgresTests {
    static let alice = TestIdentity(seedStart: 0)

    @Test func aSessionPostsAndReadsBackAndASecondServerSharesTheStateAndTheID() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let first = try ServeProcess(storage: .postgres(url))
        #expect(first.log.contains("(data: \(url))"), "\(first.log)")
        let serverID: String
        do {
            let alice = try ServeClient.session(first.url, Self.alice, register: ("alice", "laptop"))
            serverID = try #require(alice.connection.serverID)
            #expect(serverID.utf8.count == 32)
            #expect(try alice.request(.admin(.createChannel(name: "log", visibility: .private)))
                == .ack(detail: "log"))
            #expect(try alice.request(.join(channel: "log", token: nil)) == .joined(channel: "log"))
            for index in 1...3 {
                #expect(try alice.request(.channelMsg(
                    channel: "log", from: try #require(alice.path), payload: .plain("entry \(index)")))
                    == .ack(detail: nil))
            }
            #expect(try history(alice, "log") == (1...3).map { .plain("entry \($0)") })
        }

        let second = try ServeProcess(storage: .postgres(url))
        let alice = try ServeClient.session(second.url, Self.alice)
        #expect(alice.connection.serverID == serverID)
        #expect(try alice.request(.join(channel: "log", token: nil)) == .joined(channel: "log"))
        #expect(try history(alice, "log") == (1...3).map { .plain("entry \($0)") })
    }

    @Test func thePasswordStaysOutOfTheLog() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        // Trust authentication ignores the password.
        let server = try ServeProcess(storage: .postgres(url.replacingPrefix("postgres://postgres@",
                                                                             with: "postgres://postgres:hush@")))
        #expect(server.log.contains("(data: \(url))"), "\(server.log)")
        #expect(!server.log.contains("hush"))
    }

    @Test func anUnreachableDatabaseFailsWithStatusOne() throws {
        let (status, stderr) = try ServeProcess.run(
            ["--store", "postgres://postgres:hush@127.0.0.1:1/none?connect_timeout=2"])
        #expect(status == 1)
        #expect(stderr.hasPrefix("conclave-serve: cannot open the store: cannot open database "
            + "postgres://postgres@127.0.0.1:1/none?connect_timeout=2: "), "\(stderr)")
        #expect(!stderr.contains("hush"))
    }

    /// Issue 16 item 1: the store's calls run on the core's thread, so while one waits for PostgreSQL (here a row
    /// lock that a test transaction holds on the message counter) the event loop still answers `/health`,
    /// `/metrics` and a WebSocket upgrade, and the post is acknowledged once the lock goes.
    @Test func aStoreCallWaitingForTheDatabaseDoesNotHoldUpTheEventLoop() throws {
        let (server, alice, lock) = try aliceWithTheMessageCounterLocked()
        try alice.send(.channelMsg(channel: "log", from: try #require(alice.path), payload: .plain("waits")))
        // Not acknowledged while it cannot be stored.
        #expect(alice.isQuiet(for: 300))
        #expect(try httpGet(port: server.port, path: "/health").status == 200)
        #expect(try httpGet(port: server.port, path: "/metrics").body.contains("conclave_sessions 1"))
        let upgrading = try connectLoopback(port: server.port)
        defer { close(upgrading) }
        try sendUpgradeRequest(upgrading)
        var head = [UInt8](repeating: 0, count: 12)
        #expect(read(upgrading, &head, head.count) == head.count)
        #expect(String(decoding: head, as: UTF8.self) == "HTTP/1.1 101")

        try lock.release()
        #expect(try alice.next() == .ack(detail: nil))
        #expect(try history(alice, "log") == [.plain("waits")])
    }

    /// While the core waits for the database, a connection that keeps sending fills its queue (256 requests) and is
    /// no longer read; it is read again as the queue empties, and nothing is lost: every post is acknowledged, in
    /// order, once the database answers.
    @Test func postsPipelinedWhileTheDatabaseWaitsAreAllStoredInOrder() throws {
        let (server, alice, lock) = try aliceWithTheMessageCounterLocked()
        let path = try #require(alice.path)
        let posts = (1...400).map { Payload.plain("post \($0)") }
        for payload in posts { try alice.send(.channelMsg(channel: "log", from: path, payload: payload)) }
        #expect(alice.isQuiet(for: 300))
        #expect(try httpGet(port: server.port, path: "/health").status == 200)
        try lock.release()
        for _ in posts { #expect(try alice.next() == .ack(detail: nil)) }
        #expect(try history(alice, "log") == posts)
    }

    /// The core answers an `auth` on its own thread, after the next frames may have been read: a large frame sent
    /// right behind the `auth` is still read under the session's size limit, not the handshake's 8 KiB.
    @Test func aLargeFrameSentRightBehindAuthIsTaken() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let server = try ServeProcess(storage: .postgres(url))
        let client = try ServeClient(url: server.url)
        try client.send(.hello(protocolVersion: 1, session: "main"))
        guard case let .challenge(nonce) = try client.next() else {
            Issue.record("expected challenge")
            return
        }
        try client.send(.register(username: "alice", machine: "laptop", pubkey: Self.alice.publicKey))
        try client.send(.auth(pubkey: Self.alice.publicKey, signature: Self.alice.sign(nonce)))
        let path = SessionPath(user: "alice", machine: "laptop", session: "main")
        let large = String(repeating: "x", count: 64 * 1024)
        try client.send(.channelMsg(channel: "nowhere", from: path, payload: .plain(large)))
        #expect(try client.next() == .established(path: path))
        #expect(try client.next() == .serverInfo(admin: false))
        guard case .error = try client.next() else {
            Issue.record("a post to a channel that does not exist gets an error")
            return
        }
        #expect(try client.request(.ping) == .pong)
    }

    /// A server on a database of its own, alice in her private channel `log`, and a test transaction holding the
    /// message counter's row lock, so that storing the next post waits for it.
    private func aliceWithTheMessageCounterLocked() throws
        -> (server: ServeProcess, alice: ServeClient, lock: HeldTransaction) {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let server = try ServeProcess(storage: .postgres(url))
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        #expect(try alice.request(.admin(.createChannel(name: "log", visibility: .private))) == .ack(detail: "log"))
        #expect(try alice.request(.join(channel: "log", token: nil)) == .joined(channel: "log"))
        return (server, alice, try HeldTransaction(url: url, ["SELECT last FROM message_sequence FOR UPDATE"]))
    }

    private func history(_ client: ServeClient, _ channel: String) throws -> [Payload] {
        let reply = try client.request(.readSince(channel: channel, sinceMs: 0))
        guard case let .history(_, messages) = reply else {
            throw ToolProcessError(description: "expected history, got \(reply)")
        }
        return messages.map(\.payload)
    }
}

extension String {
    fileprivate func replacingPrefix(_ prefix: String, with replacement: String) -> String {
        hasPrefix(prefix) ? replacement + dropFirst(prefix.count) : self
    }
}
