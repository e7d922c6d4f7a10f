import Testing
@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

/// §6.9 idle reaping, §6.11 retention, and the queue bound of §6.10 / TOOLS.md.
@Suite struct ServerTimerTests {
    private static var shortLimits: ServerLimits {
        var limits = ServerLimits()
        limits.idleTimeoutMs = 600
        limits.reaperIntervalMs = 150
        limits.retentionMs = 1_000
        limits.retentionSweepIntervalMs = 5_000
        return limits
    }

    @Test func silentSessionIsReapedAtTheFirstSweepAfterTheIdleTimeout() {
        let harness = ServerHarness(limits: Self.shortLimits)
        _ = harness.core.start()
        let quiet = harness.register("quiet")
        let chatty = harness.register("chatty")
        var dropped: [ServerAction] = []
        for _ in 0..<3 {
            harness.clock.advance(byMs: 150)
            _ = harness.reply(.ping, on: chatty)
            dropped += harness.tick()
        }
        #expect(dropped.isEmpty)
        harness.clock.advance(byMs: 150)
        _ = harness.reply(.ping, on: chatty)
        dropped = harness.tick()
        #expect(messages(in: dropped, to: quiet.id) == [.error(.unauthorized("idle timeout: no heartbeat"))])
        #expect(closed(in: dropped) == [quiet.id])
        #expect(harness.reply(.who(channel: nil), on: chatty) == .presence(channel: nil, sessions: [chatty.path]))
        #expect(harness.core.metrics.drops[.idleTimeout] == 1)
    }

    @Test func reaperRunsOnlyEveryInterval() {
        let harness = ServerHarness(limits: Self.shortLimits)
        _ = harness.core.start()
        let start = harness.clock.monotonicMs
        let quiet = harness.register("quiet")
        #expect(harness.core.nextDeadlineMs == start + 150)
        harness.clock.advance(byMs: 600)
        #expect(closed(in: harness.tick()) == [quiet.id])
    }

    @Test func retentionSweepRunsAtStartAndThenOnSchedule() {
        let harness = ServerHarness(limits: Self.shortLimits)
        let now = harness.clock.wallMs
        try? harness.store.createChannel("c", visibility: .public, createdBy: "a", at: now)
        for time in [now - 1_001, now - 1_000] {
            try? harness.store.appendMessage(toChannel: "c", from: "a/b/c", payload: [0, 0], at: time)
        }
        _ = harness.core.start()
        #expect(harness.store.rows("c").map(\.timeMs) == [now - 1_000])
        #expect(harness.logs.contains(.retentionSwept(deletedRows: 1)))
        harness.clock.advance(byMs: 4_999)
        _ = harness.tick()
        #expect(harness.store.rows("c").count == 1)
        harness.clock.advance(byMs: 1)
        _ = harness.tick()
        #expect(harness.store.rows("c").isEmpty)
    }

    @Test func retentionFailureIsLogged() {
        let harness = ServerHarness(limits: Self.shortLimits)
        harness.store.failing = StoreError(.engine, "disk I/O error")
        #expect(harness.core.start().isEmpty)
        #expect(harness.logs.contains(.storeFailure(context: "retention sweep", message: "disk I/O error")))
    }

    // MARK: Back-pressure

    private let slowConsumer = ProtocolMessage.error(.unauthorized("slow consumer: outbound queue overflowed"))

    private static func queueLimits(frames: Int = 1024, bytes: Int = 64 << 20) -> ServerLimits {
        var limits = ServerLimits()
        limits.queueFrameLimit = frames
        limits.queueByteLimit = bytes
        return limits
    }

    @Test func fullQueueDropsTheRecipientAsASlowConsumerAndTheSenderIsUnaffected() {
        let harness = ServerHarness(limits: Self.queueLimits(frames: 4))
        let sender = harness.register("sender")
        let slow = harness.register("slow")
        _ = harness.reply(.admin(.createChannel(name: "ops", visibility: .public)), on: sender)
        for client in [sender, slow] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        harness.stalled.insert(slow.id)
        let post = ProtocolMessage.channelMsg(channel: "ops", from: sender.path, payload: .plain("x"))
        for _ in 0..<4 { #expect(messages(in: harness.receive(post, on: sender.id), to: slow.id).count == 1) }
        let actions = harness.receive(post, on: sender.id)
        #expect(messages(in: actions, to: slow.id) == [slowConsumer])
        #expect(closed(in: actions) == [slow.id])
        #expect(messages(in: actions, to: sender.id) == [.ack(detail: nil)])
        #expect(harness.core.metrics.drops[.slowConsumer] == 1)
    }

    @Test func aReplyThatCannotBeQueuedDropsTheSession() {
        let harness = ServerHarness(limits: Self.queueLimits(frames: 3))
        let client = harness.register("client")
        harness.stalled.insert(client.id)
        for _ in 0..<3 { #expect(harness.request(.ping, on: client) == [.pong]) }
        let actions = harness.receive(.ping, on: client.id)
        #expect(messages(in: actions, to: client.id) == [slowConsumer])
        #expect(closed(in: actions) == [client.id])
    }

    @Test func writtenFramesFreeTheQueue() {
        let harness = ServerHarness(limits: Self.queueLimits(frames: 2))
        let client = harness.register("client")
        harness.stalled.insert(client.id)
        for _ in 0..<2 { _ = harness.request(.ping, on: client) }
        harness.core.wrote(frames: 1, bytes: ProtocolMessage.pong.encoded().count, on: client.id)
        #expect(harness.request(.ping, on: client) == [.pong])
    }

    @Test func theByteBoundCountsEncodedSizes() {
        let pongSize = ProtocolMessage.pong.encoded().count
        let harness = ServerHarness(limits: Self.queueLimits(bytes: pongSize * 100))
        let client = harness.register("client")
        harness.stalled.insert(client.id)
        for _ in 0..<100 { #expect(harness.request(.ping, on: client) == [.pong]) }
        #expect(closed(in: harness.receive(.ping, on: client.id)) == [client.id])
    }

    @Test func selfWhisperOnAFullQueueDropsBeforeTheAck() {
        let harness = ServerHarness(limits: Self.queueLimits(frames: 2))
        let client = harness.register("client")
        harness.stalled.insert(client.id)
        for _ in 0..<2 { _ = harness.request(.ping, on: client) }
        let actions = harness.receive(
            .whisper(from: client.path, target: client.path, payload: .plain("x")), on: client.id)
        #expect(messages(in: actions, to: client.id) == [slowConsumer])
        #expect(closed(in: actions) == [client.id])
    }

    // MARK: Shutdown and metrics

    @Test func shutdownTerminatesEverySessionAndHandshake() {
        let harness = ServerHarness()
        let client = harness.register("client")
        let pending = harness.open()
        let actions = harness.core.shutdown()
        #expect(messages(in: actions, to: client.id) == [.error(.unauthorized("session terminated"))])
        #expect(Set(closed(in: actions)) == [client.id, pending])
        #expect(harness.core.metrics.liveSessions == 0)
        #expect(harness.core.metrics.handshakesInProgress == 0)
    }

    @Test func metricsCountFramesSessionsAndDeliveries() {
        let harness = ServerHarness()
        let alice = harness.register("alice")
        let bob = harness.register("bob")
        _ = harness.request(.whisper(from: alice.path, target: bob.path, payload: .plain("x")), on: alice)
        _ = harness.request(.ping, on: alice)
        let metrics = harness.core.metrics
        #expect(metrics.liveSessions == 2)
        #expect(metrics.framesIn["ping"] == 1)
        #expect(metrics.framesIn["auth"] == 2)
        #expect(metrics.framesOut["established"] == 2)
        #expect(metrics.framesOut["whisper"] == 1)
        #expect(metrics.deliveries == 1)
        let text = metrics.prometheusText()
        #expect(text.contains("conclave_sessions 2\n"))
        #expect(text.contains("conclave_frames_in_total{kind=\"ping\"} 1\n"))
        #expect(text.contains("conclave_drops_total{reason=\"slow_consumer\"} 0\n"))
        #expect(text.contains("conclave_deliveries_total 1\n"))
    }
}
