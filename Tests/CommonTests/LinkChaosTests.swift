import Testing
@testable import ConclaveLink
@testable import ConclaveTransport
@testable import ConclaveWire

/// A server that answers with random frames, garbage, silence and closes: the link must never trap, and once
/// the server behaves again every request has exactly one reply.
@Suite struct LinkChaosTests {
    @Test(arguments: [UInt64(1), 2, 3])
    func everyRequestGetsExactlyOneReplyWhateverTheServerDoes(seed: UInt64) throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        var random = SplitMix64(seed: seed)
        var frames = FrameGenerator(seed: seed)
        server.chaos = { session, _ in
            switch random.next() % 20 {
            case 0..<10:
                return false
            case 10..<14:
                session.send(frames.frame())
            case 14..<16:
                session.connection.send(binary: frames.bytes())
            case 16:
                session.connection.close()
            case 17:
                let me = session.path ?? SessionPath(user: "x", machine: "y", session: "z")
                session.send(.channelMsg(channel: "ops", from: me, payload: .plain("noise")))
                return false
            default:
                break
            }
            return true
        }
        let configuration = try LinkProbe.configuration(url: server.urlText) { timing in
            timing.pingIntervalMs = 40
            timing.pongTimeoutMs = 150
            timing.backoffBaseMs = 2
            timing.backoffCapMs = 10
        }
        let probe = LinkProbe(loop: server.loop, configuration: configuration)
        probe.link.start()
        let me = SessionPath(user: "alice", machine: "laptop", session: "main")
        let requests: [ProtocolMessage] = [
            .join(channel: "ops", token: nil), .leave(channel: "ops"), .who(channel: nil), .listChannels,
            .channelMsg(channel: "ops", from: me, payload: .plain("post")), .readSince(channel: "ops", sinceMs: 0),
            .whisper(from: me, target: me, payload: .plain("psst")),
            .admin(.createChannel(name: "c", visibility: .public)),
        ]
        var tags: [RequestTag] = []
        for round in 0..<300 {
            tags.append(probe.link.submit(requests[Int(random.next() % UInt64(requests.count))]))
            if round.isMultiple(of: 3) { try probe.idle(for: 2) }
        }
        try probe.run(for: 1_000) { false }
        server.chaos = nil
        try #require(try probe.run(for: 10_000) { probe.link.outstandingCount == 0 })
        probe.link.shutdown()
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.code == .shutdown)
        var replies: [RequestTag: Int] = [:]
        for event in probe.events {
            if case .reply(let tag, _) = event { replies[tag, default: 0] += 1 }
        }
        #expect(tags.allSatisfy { replies[$0] == 1 }, "\(tags.filter { replies[$0] != 1 })")
        #expect(replies.count == tags.count)
    }
}
