import PostgresFixture
import Testing
@testable import ConclaveWire

/// Two instances while their PostgreSQL goes away and comes back (conclave-serve(1) "Several instances"): posts
/// are refused rather than acknowledged, sessions stay, and both instances serve again once it is back.
@Suite("conclave-serve when the database goes away")
struct ServeDatabaseOutageTests {
    @Test func postsAreRefusedWhileTheDatabaseIsDownAndFanOutResumesWhenItIsBack() throws {
        // A server of its own: stopping the shared one would fail every other test.
        let postgres = try TemporaryPostgres()
        let database = try postgres.makeDatabase()
        let servers = try ServeProcess.several(2, ServeCluster.arguments, storage: .postgres(database))
        let alice = try ServeClient.session(servers[0].url, ServeCluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(servers[1].url, ServeCluster.bob, register: ("bob", "desk"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        try alice.join("ops")
        try bob.join("ops")
        #expect(try alice.post("before", to: "ops") == .ack(detail: nil))
        let alicePath = try #require(alice.path)
        #expect(try bob.next() == .channelMsg(channel: "ops", from: alicePath, payload: .plain("before")))

        try postgres.stop()
        guard case .error(.internal) = try alice.post("during", to: "ops") else {
            Issue.record("a post while the database is down must get an internal error")
            return
        }
        // The session is still served.
        #expect(try alice.request(.ping) == .pong)

        try postgres.restart()
        // The first statement after the restart may still meet the cut connection; the next reconnects.
        let acknowledged = try eventually(within: 10) {
            try alice.post("after", to: "ops") == .ack(detail: nil)
        }
        #expect(acknowledged, "\(servers[0].log)")
        // Bob's instance reconnects its listener at its next heartbeat (5 s) and catches up.
        let delivered = try bob.next(within: 15_000)
        #expect(delivered == .channelMsg(channel: "ops", from: try #require(alice.path), payload: .plain("after")),
                "\(servers[1].log)")
        #expect(try bob.history("ops").map(\.payload) == [.plain("before"), .plain("after")])
    }
}
