import Testing
@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

/// §6.3–6.4: general dispatch, presence, membership and discovery.
@Suite struct ServerChannelTests {
    let harness = ServerHarness(admins: ["root": nil])
    let owner: TestClient
    let other: TestClient

    init() {
        owner = harness.register("owner")
        other = harness.register("other")
    }

    private func create(_ name: String, _ visibility: Visibility) {
        #expect(harness.reply(.admin(.createChannel(name: name, visibility: visibility)), on: owner)
            == .ack(detail: name))
    }

    private func invite(_ channel: String, uses: UInt32? = nil, expiresInSecs: UInt64? = nil) -> String {
        guard case let .inviteToken(token)? = harness.reply(
            .admin(.inviteCreate(channel: channel, uses: uses, expiresInSecs: expiresInSecs)), on: owner)
        else {
            Issue.record("no invite token")
            return ""
        }
        return token
    }

    @Test func pingGetsPongAndNothingElse() {
        #expect(harness.request(.ping, on: owner) == [.pong])
    }

    @Test(arguments: [
        ProtocolMessage.hello(protocolVersion: 1, session: "x"), .auth(pubkey: [], signature: []),
        .register(username: "a", machine: "b", pubkey: []), .pong, .challenge(nonce: []), .ack(detail: nil),
        .established(path: SessionPath(user: "a", machine: "b", session: "c")),
    ])
    func unexpectedFramesAreRefusedAndTheSessionContinues(frame: ProtocolMessage) {
        let actions = harness.receive(frame, on: owner.id)
        #expect(messages(in: actions, to: owner.id) == [.error(.malformedFrame("unexpected frame from client"))])
        #expect(closed(in: actions).isEmpty)
        #expect(harness.reply(.ping, on: owner) == .pong)
    }

    @Test func joiningAMissingChannel() {
        #expect(harness.reply(.join(channel: "nope", token: nil), on: other) == .error(.notFound("channel `nope`")))
    }

    @Test func bannedUserIsToldTheChannelIsPrivateEvenWhenPublic() {
        create("ops", .public)
        _ = harness.reply(.admin(.ban(channel: "ops", user: "other")), on: owner)
        #expect(harness.reply(.join(channel: "ops", token: nil), on: other)
            == .error(.unauthorized("channel `ops` is private")))
    }

    @Test func publicAndUnlistedJoinsIgnoreTheTokenAndAddNoACLEntry() {
        create("pub", .public)
        create("hidden", .unlisted)
        #expect(harness.reply(.join(channel: "pub", token: "junk"), on: other) == .joined(channel: "pub"))
        #expect(harness.reply(.join(channel: "hidden", token: nil), on: other) == .joined(channel: "hidden"))
        #expect(harness.store.members("pub") == ["owner"])
        #expect(harness.store.members("hidden") == ["owner"])
        #expect(harness.reply(.listChannels, on: other)
            == .channelList(channels: [ChannelInfo(name: "pub", visibility: .public, member: false)]))
        #expect(harness.reply(.who(channel: "hidden"), on: other) == .error(.notFound("channel `hidden` not found")))
    }

    @Test func privateJoinNeedsAValidTokenOfThatChannel() {
        create("secret", .private)
        create("elsewhere", .private)
        let wrongChannel = invite("elsewhere")
        let refusal = ProtocolMessage.error(.notFound("channel `secret` not found"))
        #expect(harness.reply(.join(channel: "secret", token: nil), on: other) == refusal)
        #expect(harness.reply(.join(channel: "secret", token: "bogus"), on: other) == refusal)
        #expect(harness.reply(.join(channel: "secret", token: wrongChannel), on: other) == refusal)
        let token = invite("secret")
        #expect(harness.reply(.join(channel: "secret", token: token), on: other) == .joined(channel: "secret"))
        #expect(harness.store.members("secret") == ["other", "owner"])
        // A member skips the token check; an unlimited token was not consumed.
        #expect(harness.reply(.join(channel: "secret", token: nil), on: other) == .joined(channel: "secret"))
        #expect(harness.store.inviteRecord(token) != nil)
    }

    @Test func limitedInviteIsUsedUpAndDeleted() {
        create("secret", .private)
        let token = invite("secret", uses: 2)
        let third = harness.register("third")
        let fourth = harness.register("fourth")
        #expect(harness.reply(.join(channel: "secret", token: token), on: other) == .joined(channel: "secret"))
        #expect(harness.store.inviteRecord(token)?.usesRemaining == 1)
        #expect(harness.reply(.join(channel: "secret", token: token), on: third) == .joined(channel: "secret"))
        #expect(harness.store.inviteRecord(token) == nil)
        #expect(harness.reply(.join(channel: "secret", token: token), on: fourth)
            == .error(.notFound("channel `secret` not found")))
    }

    @Test func zeroUseInviteNeverRedeems() {
        create("secret", .private)
        let token = invite("secret", uses: 0)
        #expect(harness.reply(.join(channel: "secret", token: token), on: other)
            == .error(.notFound("channel `secret` not found")))
    }

    @Test func expiredInviteIsRefusedAndDeleted() {
        create("secret", .private)
        let token = invite("secret", expiresInSecs: 60)
        harness.clock.advance(byMs: 60_000)
        #expect(harness.reply(.join(channel: "secret", token: token), on: other)
            == .error(.notFound("channel `secret` not found")))
        #expect(harness.store.inviteRecord(token) == nil)
    }

    @Test func joiningTwiceChangesNothing() {
        create("ops", .public)
        #expect(harness.reply(.join(channel: "ops", token: nil), on: other) == .joined(channel: "ops"))
        #expect(harness.reply(.join(channel: "ops", token: nil), on: other) == .joined(channel: "ops"))
        #expect(harness.reply(.who(channel: "ops"), on: other) == .presence(channel: "ops", sessions: [other.path]))
    }

    @Test func leaveAlwaysAcksAndTouchesOnlyThisSession() {
        create("ops", .public)
        let second = harness.register("second")
        let secondOther = harness.login(other.identity, handle: "two").client
        for client in [other, secondOther, second] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        #expect(harness.reply(.leave(channel: "ops"), on: other) == .ack(detail: "ops"))
        #expect(harness.reply(.leave(channel: "ops"), on: other) == .ack(detail: "ops"))
        #expect(harness.reply(.leave(channel: "missing"), on: other) == .ack(detail: "missing"))
        #expect(harness.reply(.who(channel: "ops"), on: owner)
            == .presence(channel: "ops", sessions: [secondOther.path, second.path]))
        #expect(harness.store.members("ops") == ["owner"])
    }

    @Test func whoWithoutAChannelListsEverySessionUngated() {
        let admin = harness.register("root")
        #expect(harness.reply(.who(channel: nil), on: other)
            == .presence(channel: nil, sessions: [other.path, owner.path, admin.path]))
    }

    @Test func whoOnAChannelIsGated() {
        create("pub", .public)
        create("priv", .private)
        let admin = harness.register("root")
        _ = harness.reply(.join(channel: "priv", token: nil), on: owner)
        #expect(harness.reply(.who(channel: "pub"), on: other) == .presence(channel: "pub", sessions: []))
        #expect(harness.reply(.who(channel: "priv"), on: other) == .error(.notFound("channel `priv` not found")))
        #expect(harness.reply(.who(channel: "gone"), on: other) == .error(.notFound("channel `gone` not found")))
        #expect(harness.reply(.who(channel: "priv"), on: owner) == .presence(channel: "priv", sessions: [owner.path]))
        #expect(harness.reply(.who(channel: "priv"), on: admin) == .presence(channel: "priv", sessions: [owner.path]))
    }

    @Test func listChannelsIsSortedAndAdminsSeeEverything() {
        create("zeta", .public)
        create("beta", .private)
        create("alpha", .unlisted)
        create("gamma", .private)
        _ = harness.reply(.admin(.aclAdd(channel: "gamma", user: "other")), on: owner)
        #expect(harness.reply(.listChannels, on: other) == .channelList(channels: [
            ChannelInfo(name: "gamma", visibility: .private, member: true),
            ChannelInfo(name: "zeta", visibility: .public, member: false),
        ]))
        #expect(harness.reply(.listChannels, on: owner) == .channelList(channels: [
            ChannelInfo(name: "alpha", visibility: .unlisted, member: true),
            ChannelInfo(name: "beta", visibility: .private, member: true),
            ChannelInfo(name: "gamma", visibility: .private, member: true),
            ChannelInfo(name: "zeta", visibility: .public, member: true),
        ]))
        let admin = harness.register("root")
        #expect(harness.reply(.listChannels, on: admin) == .channelList(channels: [
            ChannelInfo(name: "alpha", visibility: .unlisted, member: false),
            ChannelInfo(name: "beta", visibility: .private, member: false),
            ChannelInfo(name: "gamma", visibility: .private, member: false),
            ChannelInfo(name: "zeta", visibility: .public, member: false),
        ]))
    }

    @Test func listMachinesShowsOnlyTheCallersMachines() {
        harness.clock.wallMs = 1_751_500_000_123
        let spare = TestIdentity(50)
        _ = harness.reply(.admin(.machineAdd(name: "spare", pubkey: spare.publicKey)), on: owner)
        guard case let .machineList(machines)? = harness.reply(.listMachines, on: owner) else {
            Issue.record("no machine list")
            return
        }
        #expect(machines.map(\.name) == ["laptop", "spare"])
        #expect(machines.last
            == MachineInfo(name: "spare", pubkey: spare.text, addedAt: "2025-07-02T23:46:40.123+00:00"))
        #expect(machines.first?.pubkey == owner.identity.text)
    }

    @Test func listUsersIsForServerAdmins() {
        #expect(harness.reply(.listUsers, on: other) == .error(.unauthorized("not authorized: admin role required")))
        let admin = harness.register("root")
        #expect(harness.reply(.listUsers, on: admin) == .userList(users: ["other", "owner", "root"]))
    }

    @Test func storeFailureIsInternalWithTheStoreText() {
        harness.store.failing = StoreError(.engine, "database is locked")
        #expect(harness.reply(.listChannels, on: other) == .error(.internal("database is locked")))
        #expect(harness.reply(.join(channel: "x", token: nil), on: other) == .error(.internal("database is locked")))
    }

    @Test func everyFrameRefreshesTheIdleTimer() {
        harness.clock.advance(byMs: 30_000)
        _ = harness.request(.hello(protocolVersion: 1, session: "x"), on: owner)
        let connection = harness.core.connections[owner.id]
        #expect(connection?.lastSeenMs == harness.clock.monotonicMs)
    }
}
