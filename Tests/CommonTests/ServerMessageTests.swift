import Testing
@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

/// §6.5: posting, whispers and history.
@Suite struct ServerMessageTests {
    private func historyRows(_ reply: ProtocolMessage?) -> [HistoryMessage] {
        if case let .history(_, messages)? = reply { messages } else { [] }
    }

    let harness = ServerHarness()
    let alice: TestClient
    let bob: TestClient

    init() {
        alice = harness.register("alice")
        bob = harness.register("bob")
        _ = harness.reply(.admin(.createChannel(name: "ops", visibility: .public)), on: alice)
    }

    private func post(_ text: String, on client: TestClient, channel: String = "ops") -> [ServerAction] {
        harness.receive(.channelMsg(channel: channel, from: client.path, payload: .plain(text)), on: client.id)
    }

    @Test func postingNeedsALiveSubscription() {
        #expect(messages(in: post("hi", on: alice), to: alice.id)
            == [.error(.unauthorized("not a member of channel `ops`"))])
        #expect(messages(in: post("hi", on: alice, channel: "nowhere"), to: alice.id)
            == [.error(.unauthorized("not a member of channel `nowhere`"))])
        #expect(harness.store.rows("ops").isEmpty)
    }

    @Test func postIsStoredFannedOutWithoutEchoThenAcked() {
        let aliceTwo = harness.login(alice.identity, handle: "two").client
        let carol = harness.register("carol")
        for client in [alice, bob, aliceTwo] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        harness.clock.wallMs = 1_751_500_000_123
        let forged = SessionPath(user: "mallory", machine: "x", session: "y")
        let actions = harness.receive(.channelMsg(channel: "ops", from: forged, payload: .plain("hello")), on: alice.id)
        let delivery = ProtocolMessage.channelMsg(channel: "ops", from: alice.path, payload: .plain("hello"))
        let sent = deliveries(in: actions)
        #expect(sent.count == 3)
        #expect(Set(sent.prefix(2).map(\.0)) == [bob.id, aliceTwo.id])
        #expect(sent.prefix(2).allSatisfy { $0.1 == delivery })
        #expect(sent.last?.0 == alice.id)
        #expect(sent.last?.1 == .ack(detail: nil))
        #expect(messages(in: actions, to: carol.id).isEmpty)
        #expect(harness.store.rows("ops") == [MessageRecord(
            channel: "ops", from: "alice/laptop/main", payload: Payload.plain("hello").encoded(),
            timeMs: 1_751_500_000_123)])
        #expect(harness.core.metrics.deliveries == 2)
    }

    @Test func whisperToAnOfflinePath() {
        let target = SessionPath(user: "bob", machine: "laptop", session: "gone")
        #expect(harness.reply(.whisper(from: alice.path, target: target, payload: .plain("psst")), on: alice)
            == .error(.notFound("session `bob/laptop/gone` is not online")))
    }

    @Test func whisperIsDeliveredThenAckedAndNeverStored() {
        let forged = SessionPath(user: "mallory", machine: "x", session: "y")
        let actions = harness.receive(.whisper(from: forged, target: bob.path, payload: .plain("psst")), on: alice.id)
        #expect(deliveries(in: actions).map(\.0) == [bob.id, alice.id])
        #expect(messages(in: actions, to: bob.id)
            == [.whisper(from: alice.path, target: bob.path, payload: .plain("psst"))])
        #expect(messages(in: actions, to: alice.id) == [.ack(detail: nil)])
        #expect(harness.store.rows("ops").isEmpty)
    }

    @Test func selfWhisperArrivesBeforeTheAck() {
        let frame = ProtocolMessage.whisper(from: alice.path, target: alice.path, payload: .plain("note"))
        #expect(harness.request(frame, on: alice) == [frame, .ack(detail: nil)])
    }

    @Test func readSinceNeedsALiveSubscription() {
        #expect(harness.reply(.readSince(channel: "ops", sinceMs: 0), on: bob)
            == .error(.unauthorized("not a member of channel `ops`")))
    }

    @Test func readSinceIsStrictlyAfterOldestFirst() {
        for client in [alice, bob] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        for (index, time) in [Int64(100), 200, 200, 300].enumerated() {
            harness.clock.wallMs = time
            _ = post("m\(index)", on: alice)
        }
        let rows = { (text: String, ts: Int64) in HistoryMessage(from: alice.path, tsMs: ts, payload: .plain(text)) }
        #expect(harness.reply(.readSince(channel: "ops", sinceMs: 200), on: bob)
            == .history(channel: "ops", messages: [rows("m3", 300)]))
        #expect(harness.reply(.readSince(channel: "ops", sinceMs: 199), on: bob)
            == .history(channel: "ops", messages: [rows("m1", 200), rows("m2", 200), rows("m3", 300)]))
        for since in [Int64(0), -5, .min] {
            #expect(historyRows(harness.reply(.readSince(channel: "ops", sinceMs: since), on: bob)).count == 4)
        }
    }

    @Test func readSinceReturnsPagesOfAtMost500WithTiesAtTheEdge() {
        _ = harness.reply(.join(channel: "ops", token: nil), on: bob)
        for index in 0..<600 {
            try? harness.store.appendMessage(
                toChannel: "ops", from: "alice/laptop/main", payload: Payload.plain("\(index)").encoded(),
                at: 1000 + Int64(index / 2))
        }
        let first = historyRows(harness.reply(.readSince(channel: "ops", sinceMs: 0), on: bob))
        #expect(first.count == 500)
        #expect(first.first?.payload == .plain("0"))
        #expect(first.last?.tsMs == 1249)
        // The client's paging rule: re-ask from last_ts − 1 and drop duplicates.
        let second = historyRows(harness.reply(.readSince(channel: "ops", sinceMs: 1248), on: bob))
        #expect(second.count == 102)
        #expect(second.first?.payload == .plain("498"))
    }

    @Test func undecodableRowsAndUnparsablePathsAreSkipped() {
        _ = harness.reply(.join(channel: "ops", token: nil), on: bob)
        let rows: [(String, [UInt8])] = [
            ("alice/laptop/main", [9, 9]), ("not-a-path", [0, 1, 65]), ("a//c", [0, 1, 65]),
            ("alice/laptop/main", [0, 1, 65, 66]), ("alice/laptop/main", [0, 1, 66]),
        ]
        for (index, (from, payload)) in rows.enumerated() {
            try? harness.store.appendMessage(toChannel: "ops", from: from, payload: payload, at: Int64(index + 1))
        }
        #expect(harness.reply(.readSince(channel: "ops", sinceMs: 0), on: bob) == .history(
            channel: "ops", messages: [HistoryMessage(from: alice.path, tsMs: 5, payload: .plain("B"))]))
    }

    @Test func encryptedPayloadsAreRelayedAndStoredOpaque() {
        for client in [alice, bob] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        let payload = Payload.encrypted(Envelope(ciphertext: [1, 2, 3], keyID: nil))
        let actions = harness.receive(.channelMsg(channel: "ops", from: alice.path, payload: payload), on: alice.id)
        #expect(messages(in: actions, to: bob.id) == [.channelMsg(channel: "ops", from: alice.path, payload: payload)])
        #expect(harness.store.rows("ops").first?.payload == payload.encoded())
    }

    @Test func logsNeverCarryBodies() {
        for client in [alice, bob] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        _ = post("top-secret-body", on: alice)
        _ = harness.request(.whisper(from: alice.path, target: bob.path, payload: .plain("whispered-body")), on: alice)
        let lines = harness.logs.map(\.description)
        #expect(!lines.contains { $0.contains("top-secret-body") || $0.contains("whispered-body") })
        #expect(lines.contains("alice/laptop/main channel_msg ops"))
    }
}
