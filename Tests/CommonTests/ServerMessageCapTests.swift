import Testing
@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

/// The 16 MiB cap on what the server sends (issue 15 item 1): every request still gets exactly one reply (§6.3).
@Suite struct ServerMessageCapTests {
    private static let limit = ProtocolMessage.maximumEncodedSize
    private static let mebibyte = 1 << 20

    let harness = ServerHarness()
    let alice: TestClient
    let bob: TestClient

    init() {
        alice = harness.register("alice")
        bob = harness.register("bob")
        _ = harness.reply(.admin(.createChannel(name: "ops", visibility: .public)), on: alice)
        for client in [alice, bob] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
    }

    /// A text whose `channel_msg` from a one-letter claimed path is exactly the cap: legal on arrival, over it once
    /// the server stamps `alice/laptop/main`.
    private static func fullPayload() -> Payload {
        let claimed = SessionPath(user: "a", machine: "b", session: "c")
        let overhead = ProtocolMessage.channelMessageSize(channel: "ops", from: claimed, payload: .plain(""))
        return .plain(String(repeating: "x", count: limit - overhead - 4))
    }

    @Test func aPostThatWouldBeDeliveredOverTheCapIsRefusedAndNotStored() {
        let claimed = SessionPath(user: "a", machine: "b", session: "c")
        let frame = ProtocolMessage.channelMsg(channel: "ops", from: claimed, payload: Self.fullPayload())
        #expect(frame.encoded().count <= Self.limit)
        let actions = harness.receive(frame, on: alice.id)
        guard case let .error(.malformedFrame(text))? = messages(in: actions, to: alice.id).first else {
            Issue.record("expected malformed_frame, got \(messages(in: actions, to: alice.id))")
            return
        }
        #expect(text.hasPrefix("message too large: it would be delivered as "))
        #expect(messages(in: actions, to: bob.id).isEmpty)
        #expect(closed(in: actions).isEmpty)
        #expect(harness.store.rows("ops").isEmpty)
        #expect(harness.reply(.ping, on: bob) == .pong)
    }

    @Test func aWhisperThatWouldBeDeliveredOverTheCapIsRefused() {
        let frame = ProtocolMessage.whisper(from: alice.path, target: bob.path, payload: Self.fullPayload())
        let actions = harness.receive(frame, on: alice.id)
        #expect(messages(in: actions, to: bob.id).isEmpty)
        guard case .error(.malformedFrame)? = messages(in: actions, to: alice.id).first else {
            Issue.record("expected malformed_frame")
            return
        }
        #expect(closed(in: actions).isEmpty)
    }

    @Test func aHistoryPageEndsBeforeItWouldPassTheCap() {
        let big = String(repeating: "y", count: 9 * Self.mebibyte)
        for text in [big, big, "small"] {
            harness.clock.wallMs += 1
            #expect(harness.reply(.channelMsg(channel: "ops", from: alice.path, payload: .plain(text)), on: alice)
                == .ack(detail: nil))
        }
        var seen: [HistoryMessage] = []
        var since: Int64 = 0
        for _ in 0..<5 {
            guard case let .history(_, page)? = harness.reply(.readSince(channel: "ops", sinceMs: since), on: bob),
                  let last = page.last else { break }
            #expect(page.count < 3)
            seen += page
            since = last.tsMs
        }
        #expect(seen.map(\.payload) == [.plain(big), .plain(big), .plain("small")])
    }

    @Test func aStoredRowTooLargeForAnyPageIsSkipped() {
        let huge = HistoryMessage(from: alice.path, tsMs: 1, payload: .plain(String(repeating: "z", count: Self.limit)))
        let small = HistoryMessage(from: alice.path, tsMs: 2, payload: .plain("after"))
        #expect(harness.core.historyPage("ops", [huge, small]) == [small])
    }

    @Test func namesLongerThan256BytesAreRefusedWithoutEchoingThem() {
        let long = String(repeating: "n", count: 257)
        let longest = String(repeating: "n", count: 256)
        #expect(harness.reply(.admin(.createChannel(name: long, visibility: .public)), on: alice)
            == .error(.malformedFrame("invalid channel name: longer than 256 bytes")))
        #expect(harness.reply(.admin(.createChannel(name: longest, visibility: .public)), on: alice)
            == .ack(detail: longest))
        #expect(harness.reply(.admin(.renameChannel(name: "ops", newName: long)), on: alice)
            == .error(.malformedFrame("invalid channel name: longer than 256 bytes")))
        #expect(harness.reply(.admin(.aclAdd(channel: "ops", user: long)), on: alice)
            == .error(.malformedFrame("invalid username: longer than 256 bytes")))
        #expect(harness.reply(.admin(.machineAdd(name: long, pubkey: Array(repeating: 1, count: 32))), on: alice)
            == .error(.malformedFrame("invalid machine name: longer than 256 bytes")))

        let id = harness.open()
        let refused = messages(in: harness.receive(.hello(protocolVersion: 1, session: long), on: id), to: id)
        let nonce: [UInt8]
        if case let .challenge(value)? = refused.first { nonce = value } else { nonce = [] }
        let auth = ProtocolMessage.auth(pubkey: alice.identity.publicKey, signature: alice.identity.sign(nonce))
        let actions = harness.receive(auth, on: id)
        #expect(messages(in: actions, to: id)
            == [.error(.malformedFrame("invalid session handle: longer than 256 bytes"))])
        #expect(closed(in: actions) == [id])
    }

    @Test func aReplyOverTheCapIsAnErrorNamingWhy() throws {
        // Names stored before the cap existed: two 9 MiB channel names.
        for letter in ["a", "b"] {
            try harness.store.createChannel(
                String(repeating: letter, count: 9 * Self.mebibyte), visibility: .public, createdBy: "bob", at: 0)
        }
        let reply = harness.reply(.listChannels, on: alice)
        guard case let .error(.internal(text))? = reply else {
            Issue.record("expected internal, got \(String(describing: reply).prefix(200))")
            return
        }
        #expect(text.hasPrefix("reply too large: channel_list of "))
        #expect(harness.reply(.ping, on: alice) == .pong)
    }
}
