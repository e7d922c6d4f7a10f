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
