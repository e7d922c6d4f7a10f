import Glibc
import Testing
@testable import ConclaveTransport
@testable import ConclaveWire

/// Acks are honest (TOOLS.md `conclave-serve`): a post the real server could not store is answered with an
/// `error`, never an ack, and the server goes on serving.
@Suite("conclave-serve group commit end to end")
struct ServeGroupCommitTests {
    static let alice = TestIdentity(seedStart: 0)
    static let bob = TestIdentity(seedStart: 100)

    /// Another process holds the database's write lock (an `sqlite3` shell in a transaction), so the server's
    /// commit cannot take it: after its busy timeout (5 s) the commit fails as a full or broken disk would.
    @Test(.singleServer("locks its SQLite file"))
    func aPostThatCannotBeCommittedIsAnsweredWithAnErrorAndTheServerGoesOn() throws {
        let server = try ServeProcess(storage: .dataDirectory)
        let alice = try ServeClient.session(server.url, Self.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(server.url, Self.bob, register: ("bob", "desk"))
        let channel = "log"
        #expect(try alice.request(.admin(.createChannel(name: channel, visibility: .public))) == .ack(detail: channel))
        for client in [alice, bob] {
            #expect(try client.request(.join(channel: channel, token: nil)) == .joined(channel: channel))
        }
        let from = try #require(alice.path)
        #expect(try alice.request(.channelMsg(channel: channel, from: from, payload: .plain("one")))
            == .ack(detail: nil))
        #expect(try bob.next() == .channelMsg(channel: channel, from: from, payload: .plain("one")))

        let database = try #require(server.dataDirectory) + "/conclave.sqlite3"
        let locker = try ToolProcess(
            "/usr/bin/sqlite3", arguments: [database], environment: ["HOME": server.directory])
        try locker.write("BEGIN IMMEDIATE;\nSELECT 'locked';\n")
        #expect(locker.readLine(deadline: .after(seconds: 10)) == "locked")

        try alice.send(.channelMsg(channel: channel, from: from, payload: .plain("two")))
        let refused = try alice.next(within: 20_000)
        guard case .error(.internal) = refused else {
            Issue.record("expected an internal error for a post that was not stored, got \(refused)")
            return
        }
        _ = locker.finish(input: Array("ROLLBACK;\n".utf8), deadline: .after(seconds: 10))

        // Nothing reached bob for the lost post; every other request is served, and posting works again.
        #expect(try bob.request(.ping) == .pong)
        #expect(try alice.request(.channelMsg(channel: channel, from: from, payload: .plain("three")))
            == .ack(detail: nil))
        #expect(try bob.next() == .channelMsg(channel: channel, from: from, payload: .plain("three")))
        let history = try bob.request(.readSince(channel: channel, sinceMs: 0))
        guard case let .history(_, messages) = history else {
            Issue.record("expected history, got \(history)")
            return
        }
        #expect(messages.map(\.payload) == [.plain("one"), .plain("three")])
        #expect(server.log.contains("store failure during storing 1 post: database is locked"))
    }
}
