import Testing
@testable import ConclaveServer
@testable import ConclaveWire

/// One budget for all outbound queues (issue 15 item 2): past it the largest queue is dropped as a slow consumer.
@Suite struct ServerMemoryBudgetTests {
    @Test func theLargestQueueIsDroppedWhenAllQueuesTogetherPassTheBudget() {
        var limits = ServerLimits()
        limits.outboundMemoryBudget = 10_000
        let harness = ServerHarness(limits: limits)
        let alice = harness.register("alice")
        let bob = harness.register("bob")
        let carol = harness.register("carol")
        _ = harness.reply(.admin(.createChannel(name: "ops", visibility: .public)), on: alice)
        for client in [alice, bob, carol] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        _ = harness.reply(.leave(channel: "ops"), on: carol)
        // Bob reads nothing; carol is behind by one large whisper.
        harness.stalled = [bob.id, carol.id]
        let whisper = Payload.plain(String(repeating: "w", count: 2_000))
        #expect(harness.reply(.whisper(from: alice.path, target: carol.path, payload: whisper), on: alice)
            == .ack(detail: nil))
        var dropped: [ServerAction] = []
        for _ in 0..<10 {
            let actions = harness.receive(
                .channelMsg(channel: "ops", from: alice.path, payload: .plain(String(repeating: "p", count: 1_000))),
                on: alice.id)
            #expect(messages(in: actions, to: alice.id) == [.ack(detail: nil)])
            dropped += actions
        }
        #expect(closed(in: dropped) == [bob.id])
        #expect(messages(in: dropped, to: bob.id).last
            == .error(.unauthorized("slow consumer: outbound queue overflowed")))
        #expect(harness.core.metrics.budgetDrops == 1)
        #expect(harness.core.metrics.outboundBytes <= 10_000)
        #expect(harness.core.metrics.prometheusText().contains("conclave_outbound_budget_bytes 10000\n"))
        #expect(harness.reply(.ping, on: carol) == .pong)
    }
}
