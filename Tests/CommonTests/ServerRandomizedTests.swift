import Testing
@testable import ConclaveServer
@testable import ConclaveWire

/// Long random runs against the invariants of §6.3 and §6.10: every request from a session that stays open
/// gets exactly one reply, a dropped session's last frame is its drop `error`, queues stay within their
/// bound, and the gauges match the sessions that exist.
@Suite struct ServerRandomizedTests {
    private static let channels = ["ops", "ops", "dev", "dev", "secret", "a/b"]
    private static let users = ["u0", "u1", "u2", "root"]
    private static let spareKey = TestIdentity(seed: [UInt8](repeating: 0xAB, count: 32)).publicKey

    private static func randomFrame(_ rng: inout SplitMix64, clients: [TestClient]) -> ProtocolMessage {
        let channel = channels.randomElement(using: &rng) ?? "ops"
        let user = users.randomElement(using: &rng) ?? "u0"
        let somePath = clients.randomElement(using: &rng)?.path ?? SessionPath(user: "x", machine: "y", session: "z")
        let payload = Payload.plain("body")
        let candidates: [ProtocolMessage] = [
            .ping, .join(channel: channel, token: nil), .join(channel: channel, token: nil),
            .join(channel: channel, token: nil), .leave(channel: channel), .who(channel: nil),
            .who(channel: channel), .listChannels, .listMachines, .listUsers,
            .channelMsg(channel: channel, from: somePath, payload: payload),
            .channelMsg(channel: channel, from: somePath, payload: payload),
            .channelMsg(channel: channel, from: somePath, payload: payload),
            .channelMsg(channel: channel, from: somePath, payload: payload),
            .whisper(from: somePath, target: somePath, payload: payload),
            .readSince(channel: channel, sinceMs: 0), .hello(protocolVersion: 1, session: "x"),
            .admin(.createChannel(name: channel, visibility: Bool.random(using: &rng) ? .public : .private)),
            .admin(.deleteChannel(name: channel)), .admin(.renameChannel(name: channel, newName: channel + "2")),
            .admin(.aclAdd(channel: channel, user: user)), .admin(.aclRemove(channel: channel, user: user)),
            .admin(.ban(channel: channel, user: user)), .admin(.unban(channel: channel, user: user)),
            .admin(.kick(channel: channel, target: Bool.random(using: &rng) ? user : somePath.text)),
            .admin(.inviteCreate(channel: channel, uses: 1, expiresInSecs: 5)),
            .admin(.inviteRevoke(token: "t")), .admin(.inviteList(channel: channel)),
            .admin(.machineRemove(name: "spare")),
            .admin(.machineAdd(name: "spare", pubkey: spareKey)),
            .admin(.userRemove(username: user)),
        ]
        return candidates.randomElement(using: &rng) ?? .ping
    }

    @Test(arguments: [UInt64(1), 2, 3])
    func invariantsHoldOverARandomRun(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var limits = ServerLimits()
        limits.queueFrameLimit = 8
        let harness = ServerHarness(admins: ["root": nil], limits: limits)
        _ = harness.core.start()
        var clients: [TestClient] = []
        var registered: [String: TestIdentity] = [:]
        for step in 0..<3000 {
            clients.removeAll { harness.core.connections[$0.id] == nil }
            if clients.count < 6 {
                let user = Self.users.randomElement(using: &rng) ?? "u0"
                if let identity = registered[user] {
                    let (client, _) = harness.login(identity, handle: "h\(step % 5)")
                    if harness.core.connections[client.id] != nil {
                        clients.append(client)
                    } else {
                        registered[user] = nil
                    }
                } else {
                    let client = harness.register(user)
                    registered[user] = client.identity
                    clients.append(client)
                }
                continue
            }
            guard let client = clients.randomElement(using: &rng) else { continue }
            if Int.random(in: 0..<40, using: &rng) == 0 { harness.stalled.formSymmetricDifference([client.id]) }
            let frame = Self.randomFrame(&rng, clients: clients)
            let actions = harness.receive(frame, on: client.id)
            let own = messages(in: actions, to: client.id)
            if closed(in: actions).contains(client.id) {
                guard case .error(.unauthorized)? = own.last else {
                    Issue.record("step \(step): \(frame.typeName) closed without a drop error: \(own)")
                    return
                }
            } else {
                let replies = own.filter { message in
                    switch message {
                    case .channelMsg, .whisper: false
                    default: true
                    }
                }
                #expect(replies.count == 1, "step \(step): \(frame.typeName) drew \(own)")
            }
            for connection in harness.core.connections.values {
                #expect(connection.queuedFrames <= limits.queueFrameLimit)
            }
            let live = harness.core.connections.values.filter { $0.path != nil }.count
            #expect(harness.core.metrics.liveSessions == live)
            #expect(harness.core.sessions.byPath.count == live)
            if Int.random(in: 0..<50, using: &rng) == 0 {
                harness.clock.advance(byMs: 20_000)
                _ = harness.tick()
            }
        }
    }
}
