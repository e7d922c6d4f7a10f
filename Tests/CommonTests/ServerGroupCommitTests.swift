import Testing
@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

/// Group commit (TOOLS.md `conclave-serve`): the posts of a loop turn share one transaction, and an ack, a
/// delivery or anything queued after a post leaves only once the post is stored.
@Suite struct ServerGroupCommitTests {
    let harness: ServerHarness
    let alice: TestClient
    let bob: TestClient

    init() {
        var limits = ServerLimits()
        // Held output commits early at a quarter of this: at the fourth held frame or post.
        limits.queueFrameLimit = 16
        harness = ServerHarness(limits: limits)
        alice = harness.register("alice")
        bob = harness.register("bob")
        _ = harness.reply(.admin(.createChannel(name: "ops", visibility: .public)), on: alice)
        for client in [alice, bob] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
    }

    private func post(_ text: String, by client: TestClient, to channel: String = "ops")
        -> (ProtocolMessage, ConnectionID) {
        (.channelMsg(channel: channel, from: client.path, payload: .plain(text)), client.id)
    }

    private func delivery(_ text: String, from client: TestClient, in channel: String = "ops") -> ProtocolMessage {
        .channelMsg(channel: channel, from: client.path, payload: .plain(text))
    }

    private func record(_ text: String, from client: TestClient) -> MessageRecord {
        MessageRecord(channel: "ops", from: client.path.text, payload: Payload.plain(text).encoded(),
                      timeMs: harness.clock.wallMs)
    }

    @Test func postsOfOneTurnShareOneCommitAndNothingLeavesBeforeIt() {
        let held = [post("a", by: alice), post("b", by: bob)].flatMap { harness.core.received($0.0, on: $0.1) }
        #expect(held.isEmpty)
        #expect(harness.store.commits.isEmpty)
        let released = harness.flush(harness.core.commit())
        #expect(harness.store.commits == [[record("a", from: alice), record("b", from: bob)]])
        #expect(messages(in: released, to: alice.id) == [.ack(detail: nil), delivery("b", from: bob)])
        #expect(messages(in: released, to: bob.id) == [delivery("a", from: alice), .ack(detail: nil)])
        #expect(harness.core.metrics.commits == 1)
        #expect(harness.core.commit().isEmpty)
    }

    @Test func aFailedCommitAnswersEachPostWithAnErrorAndDeliversNothing() {
        harness.store.failingCommits = StoreError(.engine, "disk I/O error")
        let actions = harness.turn([post("a", by: alice), (.ping, bob.id), post("b", by: alice), (.ping, alice.id)])
        let failed = ProtocolMessage.error(.internal("disk I/O error"))
        #expect(messages(in: actions, to: alice.id) == [failed, failed, .pong])
        #expect(messages(in: actions, to: bob.id) == [.pong])
        #expect(harness.store.rows("ops").isEmpty)
        #expect(harness.core.metrics.failedCommits == 1)
        #expect(harness.core.metrics.deliveries == 0)
        #expect(harness.logs.contains(.storeFailure(context: "storing 2 posts", message: "disk I/O error")))

        // The sessions go on; the next commit that works acks again.
        harness.store.failingCommits = nil
        let next = harness.turn([post("c", by: alice)])
        #expect(messages(in: next, to: alice.id) == [.ack(detail: nil)])
        #expect(messages(in: next, to: bob.id) == [delivery("c", from: alice)])
        #expect(harness.store.rows("ops") == [record("c", from: alice)])
    }

    @Test func repliesStayInRequestOrderBehindAHeldPost() {
        let whisper = ProtocolMessage.whisper(from: alice.path, target: bob.path, payload: .plain("psst"))
        let actions = harness.turn([post("a", by: alice), (whisper, alice.id), (.ping, alice.id)])
        #expect(messages(in: actions, to: alice.id) == [.ack(detail: nil), .ack(detail: nil), .pong])
        #expect(messages(in: actions, to: bob.id) == [delivery("a", from: alice), whisper])
    }

    @Test func aReadAfterAPostInTheSameTurnSeesIt() {
        let actions = harness.turn([post("a", by: alice), (.readSince(channel: "ops", sinceMs: 0), bob.id)])
        let row = HistoryMessage(from: alice.path, tsMs: harness.clock.wallMs, payload: .plain("a"))
        #expect(messages(in: actions, to: bob.id)
            == [delivery("a", from: alice), .history(channel: "ops", messages: [row])])
        #expect(messages(in: actions, to: alice.id) == [.ack(detail: nil)])
    }

    @Test func aChannelChangeNeverOvertakesAPost() {
        let rename = ProtocolMessage.admin(.renameChannel(name: "ops", newName: "ops2"))
        let actions = harness.turn([post("a", by: alice), (rename, alice.id)])
        #expect(messages(in: actions, to: alice.id).first == .ack(detail: nil))
        #expect(harness.store.rows("ops2").map(\.payload) == [Payload.plain("a").encoded()])
    }

    @Test func aLongTurnCommitsEarlyInsteadOfHoldingPastAQuarterOfTheQueueBound() {
        let actions = harness.turn((0..<5).map { post("\($0)", by: alice) })
        #expect(harness.store.commits.map(\.count) == [4, 1])
        #expect(messages(in: actions, to: alice.id) == Array(repeating: .ack(detail: nil), count: 5))
        #expect(messages(in: actions, to: bob.id) == (0..<5).map { delivery("\($0)", from: alice) })
    }

    @Test func shutdownCommitsWhatIsStagedFirst() {
        _ = harness.core.received(post("last", by: alice).0, on: alice.id)
        let actions = harness.core.shutdown()
        #expect(harness.store.rows("ops") == [record("last", from: alice)])
        #expect(messages(in: actions, to: alice.id)
            == [.ack(detail: nil), .error(.unauthorized(DropReason.terminated.text))])
    }
}
