import Testing
@testable import ConclaveServer
@testable import ConclaveWire

/// §6.6–6.8: admin operations, their permission rules, texts and forced drops.
@Suite struct ServerAdminTests {
    let harness = ServerHarness(admins: ["root": nil])
    let owner: TestClient
    let other: TestClient
    let root: TestClient

    init() {
        owner = harness.register("owner")
        other = harness.register("other")
        root = harness.register("root")
        _ = harness.reply(.admin(.createChannel(name: "ops", visibility: .public)), on: owner)
    }

    private func admin(_ op: AdminOp, on client: TestClient) -> ProtocolMessage? {
        harness.reply(.admin(op), on: client)
    }

    private func post(on client: TestClient, channel: String = "ops") -> ProtocolMessage? {
        harness.reply(.channelMsg(channel: channel, from: client.path, payload: .plain("x")), on: client)
    }

    private func notMember(_ channel: String) -> ProtocolMessage {
        .error(.unauthorized("not a member of channel `\(channel)`"))
    }
    private let roleRequired = ProtocolMessage.error(.unauthorized("not authorized: admin role required"))

    // MARK: Channels

    @Test func createChannelMakesTheCallerCreatorAndMemberButNotSubscribed() {
        #expect(admin(.createChannel(name: "dev", visibility: .private), on: other) == .ack(detail: "dev"))
        #expect(harness.store.channelRecord("dev")?.createdBy == "other")
        #expect(harness.store.members("dev") == ["other"])
        #expect(post(on: other, channel: "dev") == notMember("dev"))
    }

    @Test(arguments: ["", "a/b"])
    func channelNamesMustBeComponents(name: String) {
        #expect(admin(.createChannel(name: name, visibility: .public), on: owner)
            == .error(.malformedFrame("invalid channel name: `\(name)`")))
        #expect(admin(.renameChannel(name: "ops", newName: name), on: owner)
            == .error(.malformedFrame("invalid channel name: `\(name)`")))
    }

    @Test func duplicateChannelIsAnInternalErrorWithTheStoreText() {
        #expect(admin(.createChannel(name: "ops", visibility: .public), on: other)
            == .error(.internal("UNIQUE constraint failed: channels.name")))
    }

    @Test(arguments: [
        AdminOp.deleteChannel(name: "missing"), .renameChannel(name: "missing", newName: "n"),
        .setVisibility(name: "missing", visibility: .public), .aclAdd(channel: "missing", user: "u"),
        .aclRemove(channel: "missing", user: "u"), .aclList(channel: "missing"),
        .inviteCreate(channel: "missing", uses: nil, expiresInSecs: nil), .inviteList(channel: "missing"),
        .kick(channel: "missing", target: "u"), .ban(channel: "missing", user: "u"),
        .unban(channel: "missing", user: "u"), .banList(channel: "missing"),
    ])
    func channelAdminOpsOnAMissingChannelAreNotFound(op: AdminOp) {
        #expect(admin(op, on: owner) == .error(.notFound("channel `missing` not found")))
    }

    @Test(arguments: [
        AdminOp.deleteChannel(name: "ops"), .renameChannel(name: "ops", newName: "n"),
        .setVisibility(name: "ops", visibility: .public), .aclAdd(channel: "ops", user: "u"),
        .aclRemove(channel: "ops", user: "u"), .aclList(channel: "ops"),
        .inviteCreate(channel: "ops", uses: nil, expiresInSecs: nil), .inviteList(channel: "ops"),
        .kick(channel: "ops", target: "u"), .ban(channel: "ops", user: "u"),
        .unban(channel: "ops", user: "u"), .banList(channel: "ops"),
    ])
    func channelAdminOpsNeedTheCreatorOrAServerAdmin(op: AdminOp) {
        #expect(admin(op, on: other) == roleRequired)
        #expect(admin(op, on: root) != roleRequired)
    }

    @Test func deleteChannelDropsHistoryAndSubscriptionsSilently() {
        _ = harness.reply(.join(channel: "ops", token: nil), on: other)
        _ = post(on: other)
        let actions = harness.receive(.admin(.deleteChannel(name: "ops")), on: owner.id)
        #expect(deliveries(in: actions).map(\.1) == [.ack(detail: "ops")])
        #expect(harness.store.rows("ops").isEmpty)
        #expect(post(on: other) == notMember("ops"))
    }

    @Test func renameMovesLiveSubscriptionsSilently() {
        _ = harness.reply(.join(channel: "ops", token: nil), on: other)
        #expect(admin(.renameChannel(name: "ops", newName: "ops2"), on: owner) == .ack(detail: "ops2"))
        #expect(post(on: other) == notMember("ops"))
        #expect(post(on: other, channel: "ops2") == .ack(detail: nil))
        #expect(harness.reply(.who(channel: "ops2"), on: owner) == .presence(channel: "ops2", sessions: [other.path]))
    }

    @Test func renameOntoATakenNameIsInternal() {
        _ = admin(.createChannel(name: "dev", visibility: .public), on: owner)
        #expect(admin(.renameChannel(name: "ops", newName: "dev"), on: owner)
            == .error(.internal("UNIQUE constraint failed: channels.name")))
    }

    @Test func setVisibilityLeavesSubscriptionsAlone() {
        _ = harness.reply(.join(channel: "ops", token: nil), on: other)
        #expect(admin(.setVisibility(name: "ops", visibility: .private), on: owner) == .ack(detail: "ops"))
        #expect(harness.store.channelRecord("ops")?.visibility == .private)
        #expect(post(on: other) == .ack(detail: nil))
    }

    // MARK: ACL and bans

    @Test func aclAddLiftsABanAndAclListShowsMembers() {
        _ = admin(.ban(channel: "ops", user: "other"), on: owner)
        #expect(admin(.aclAdd(channel: "ops", user: "other"), on: owner) == .ack(detail: "other"))
        #expect(admin(.aclAdd(channel: "ops", user: "nobody"), on: owner) == .ack(detail: "nobody"))
        #expect(admin(.aclList(channel: "ops"), on: owner) == .userList(users: ["nobody", "other", "owner"]))
        #expect(admin(.banList(channel: "ops"), on: owner) == .userList(users: []))
    }

    @Test func aclRemoveUnsubscribesEverySessionOfTheUser() {
        _ = admin(.aclAdd(channel: "ops", user: "other"), on: owner)
        let otherTwo = harness.login(other.identity, handle: "two").client
        for client in [other, otherTwo, owner] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        let actions = harness.receive(.admin(.aclRemove(channel: "ops", user: "other")), on: owner.id)
        #expect(deliveries(in: actions).map(\.1) == [.ack(detail: "other")])
        #expect(harness.reply(.who(channel: "ops"), on: owner) == .presence(channel: "ops", sessions: [owner.path]))
        #expect(harness.store.members("ops") == ["owner"])
    }

    @Test func banRemovesMembershipUnsubscribesAndBlocksJoin() {
        _ = admin(.aclAdd(channel: "ops", user: "other"), on: owner)
        _ = harness.reply(.join(channel: "ops", token: nil), on: other)
        #expect(admin(.ban(channel: "ops", user: "other"), on: owner) == .ack(detail: "other"))
        #expect(post(on: other) == notMember("ops"))
        #expect(harness.store.members("ops") == ["owner"])
        #expect(admin(.banList(channel: "ops"), on: owner) == .userList(users: ["other"]))
        #expect(harness.reply(.join(channel: "ops", token: nil), on: other)
            == .error(.unauthorized("channel `ops` is private")))
        #expect(admin(.unban(channel: "ops", user: "other"), on: owner) == .ack(detail: "other"))
        #expect(harness.store.members("ops") == ["owner"])
        #expect(harness.reply(.join(channel: "ops", token: nil), on: other) == .joined(channel: "ops"))
    }

    @Test func kickByPathUnsubscribesOneSessionAndAllowsRejoin() {
        let otherTwo = harness.login(other.identity, handle: "two").client
        for client in [other, otherTwo] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        #expect(admin(.kick(channel: "ops", target: "other/laptop/main"), on: owner)
            == .ack(detail: "other/laptop/main"))
        #expect(post(on: other) == notMember("ops"))
        #expect(post(on: otherTwo) == .ack(detail: nil))
        #expect(harness.reply(.join(channel: "ops", token: nil), on: other) == .joined(channel: "ops"))
    }

    @Test func kickByUsernameUnsubscribesAllTheirSessions() {
        let otherTwo = harness.login(other.identity, handle: "two").client
        for client in [other, otherTwo] { _ = harness.reply(.join(channel: "ops", token: nil), on: client) }
        #expect(admin(.kick(channel: "ops", target: "other"), on: owner) == .ack(detail: "other"))
        #expect(post(on: other) == notMember("ops"))
        #expect(post(on: otherTwo) == notMember("ops"))
    }

    // MARK: Invites

    @Test func inviteCreateMakesA32CharacterTokenAndInviteListShowsIt() throws {
        harness.clock.wallMs = 1_751_500_000_123
        guard case let .inviteToken(token)? = admin(
            .inviteCreate(channel: "ops", uses: 5, expiresInSecs: 86_400), on: owner)
        else { return #expect(Bool(false), "no token") }
        #expect(token.count == 32)
        #expect(try Base64URL.decode(token).count == 24)
        #expect(admin(.inviteList(channel: "ops"), on: owner) == .inviteList(invites: [
            InviteInfo(token: token, usesRemaining: 5, expiresAt: "2025-07-03T23:46:40.123+00:00"),
        ]))
    }

    @Test(arguments: [UInt64.max, UInt64(Int64.max), UInt64(Int64.max / 1000) + 1, 253_402_300_800])
    func unrepresentableInviteExpiryIsMalformed(seconds: UInt64) {
        #expect(admin(.inviteCreate(channel: "ops", uses: nil, expiresInSecs: seconds), on: owner)
            == .error(.malformedFrame("invite expiry is too far in the future")))
    }

    @Test func inviteExpiryBoundary() {
        #expect(ServerCore.inviteExpiry(nowMs: 0, afterSeconds: 253_402_300_799) == 253_402_300_799_000)
        #expect(ServerCore.inviteExpiry(nowMs: 1000, afterSeconds: 253_402_300_799) == nil)
        #expect(ServerCore.inviteExpiry(nowMs: .max, afterSeconds: 1) == nil)
    }

    @Test func inviteRevokeAlwaysAcksButOnlyAChannelAdminDeletes() {
        guard case let .inviteToken(token)? = admin(.inviteCreate(channel: "ops", uses: nil, expiresInSecs: nil),
                                                   on: owner)
        else { return #expect(Bool(false), "no token") }
        #expect(admin(.inviteRevoke(token: token), on: other) == .ack(detail: token))
        #expect(harness.store.inviteRecord(token) != nil)
        #expect(admin(.inviteRevoke(token: "no-such-token"), on: other) == .ack(detail: "no-such-token"))
        #expect(admin(.inviteRevoke(token: token), on: root) == .ack(detail: token))
        #expect(harness.store.inviteRecord(token) == nil)
    }

    @Test func logsNeverCarryInviteTokens() {
        guard case let .inviteToken(token)? = admin(.inviteCreate(channel: "ops", uses: nil, expiresInSecs: nil),
                                                   on: owner)
        else { return #expect(Bool(false), "no token") }
        _ = admin(.inviteRevoke(token: token), on: owner)
        _ = harness.reply(.join(channel: "ops", token: token), on: other)
        #expect(!harness.logs.contains { $0.description.contains(token) })
    }

    // MARK: Accounts and forced drops

    @Test func userRemoveIsForServerAdmins() {
        #expect(admin(.userRemove(username: "other"), on: owner) == roleRequired)
        #expect(admin(.userRemove(username: "ghost"), on: root) == .ack(detail: "ghost"))
    }

    @Test func userRemoveDeletesTheirChannelsAndDropsTheirSessions() {
        let ownerTwo = harness.login(owner.identity, handle: "two").client
        _ = harness.reply(.join(channel: "ops", token: nil), on: other)
        let actions = harness.receive(.admin(.userRemove(username: "owner")), on: root.id)
        #expect(messages(in: actions, to: root.id) == [.ack(detail: "owner")])
        let reason = ProtocolMessage.error(.unauthorized("user removed from this server"))
        #expect(messages(in: actions, to: owner.id) == [reason])
        #expect(messages(in: actions, to: ownerTwo.id) == [reason])
        #expect(Set(closed(in: actions)) == [owner.id, ownerTwo.id])
        #expect(deliveries(in: actions).first?.0 == root.id)
        #expect(harness.store.channelRecord("ops") == nil)
        #expect(!harness.store.hasUser("owner"))
        #expect(post(on: other) == notMember("ops"))
        #expect(harness.core.metrics.drops[.userRemoved] == 2)
    }

    @Test func machineRemoveDropsItsSessionsAfterAckingTheCaller() {
        let spare = TestIdentity(60)
        _ = admin(.machineAdd(name: "spare", pubkey: spare.publicKey), on: owner)
        let spareSession = harness.login(spare, handle: "main").client
        #expect(spareSession.path == SessionPath(user: "owner", machine: "spare", session: "main"))
        let actions = harness.receive(.admin(.machineRemove(name: "spare")), on: spareSession.id)
        #expect(messages(in: actions, to: spareSession.id)
            == [.ack(detail: "spare"), .error(.unauthorized("machine key revoked"))])
        #expect(closed(in: actions) == [spareSession.id])
        #expect(harness.store.machineRecords(of: "owner").map(\.name) == ["laptop"])
        #expect(admin(.machineRemove(name: "absent"), on: owner) == .ack(detail: "absent"))
    }

    @Test func machineRemoveOnlyTouchesTheCallersAccount() {
        let actions = harness.receive(.admin(.machineRemove(name: "laptop")), on: root.id)
        #expect(closed(in: actions) == [root.id])
        #expect(harness.store.machineRecords(of: "root").isEmpty)
        #expect(harness.store.machineRecords(of: "owner").map(\.name) == ["laptop"])
        #expect(harness.reply(.ping, on: owner) == .pong)
    }

    @Test func machineAddEnrolsAKeyThatCanThenAuthenticate() {
        let spare = TestIdentity(61)
        #expect(admin(.machineAdd(name: "desk", pubkey: spare.publicKey), on: other) == .ack(detail: "desk"))
        let (client, _) = harness.login(spare, handle: "h")
        #expect(client.path == SessionPath(user: "other", machine: "desk", session: "h"))
    }

    @Test func machineAddValidatesNameAndKeyAndReportsDuplicates() {
        let spare = TestIdentity(62)
        #expect(admin(.machineAdd(name: "a/b", pubkey: spare.publicKey), on: other)
            == .error(.malformedFrame("invalid machine name: `a/b`")))
        #expect(admin(.machineAdd(name: "", pubkey: spare.publicKey), on: other)
            == .error(.malformedFrame("invalid machine name: ``")))
        #expect(admin(.machineAdd(name: "desk", pubkey: [1, 2, 3]), on: other)
            == .error(.malformedFrame("malformed key or signature: public key must be 32 bytes")))
        #expect(admin(.machineAdd(name: "laptop", pubkey: spare.publicKey), on: other)
            == .error(.internal("UNIQUE constraint failed: machines.username, machines.name")))
        #expect(admin(.machineAdd(name: "desk", pubkey: owner.identity.publicKey), on: other)
            == .error(.internal("UNIQUE constraint failed: machines.public_key")))
    }
}
