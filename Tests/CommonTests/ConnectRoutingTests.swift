import Testing
@testable import ConclaveClient
@testable import ConclaveIdentity
@testable import ConclaveLink
@testable import ConclaveWire

/// Sharing one link among clients (TOOLS.md "--socket"): join counting and reply routing.
@Suite struct ConnectRoutingTests {
    private static let a = ConnectClientID(rawValue: 1)
    private static let b = ConnectClientID(rawValue: 2)
    private static let me = SessionPath(user: "alice", machine: "laptop", session: "work")
    private let formatter = RecordFormatter(server: "ws://s")
    private let permissions = PermissionPolicy(
        config: ConclaveConfig(overrides: [PermissionOverride(server: "ws://s", channel: "quiet", level: .mute)]),
        server: "ws://s", configPath: "config.toml")

    // MARK: Join ledger

    @Test func theLastHolderLeavingSendsTheLeave() {
        var ledger = JoinLedger()
        ledger.recordJoinRequested("ops", by: Self.a)
        ledger.recordJoinRequested("ops", by: Self.b)
        #expect(ledger.leave("ops", by: Self.a) == .answerLocally)
        #expect(ledger.holders(of: "ops") == [Self.b])
        #expect(ledger.leave("ops", by: Self.b) == .forward)
        #expect(ledger.holders(of: "ops").isEmpty)
    }

    @Test func aLeaveOfAChannelOthersHoldIsLocalAndOfAnUnheldOneGoesOut() {
        var ledger = JoinLedger()
        ledger.recordJoinRequested("ops", by: Self.a)
        #expect(ledger.leave("ops", by: Self.b) == .answerLocally)
        #expect(ledger.holders(of: "ops") == [Self.a])
        #expect(ledger.leave("dev", by: Self.b) == .forward)
    }

    @Test func aDisconnectLeavesOnlyTheChannelsNobodyElseHolds() {
        var ledger = JoinLedger()
        ledger.recordJoinRequested("ops", by: Self.a)
        ledger.recordJoinRequested("ops", by: .local)
        ledger.recordJoinRequested("dev", by: Self.a)
        ledger.recordJoinRequested("dev", by: Self.a)
        #expect(ledger.channels(heldBy: Self.a) == ["dev", "ops"])
        #expect(ledger.removeClient(Self.a) == ["dev"])
        #expect(ledger.holders(of: "ops") == [.local])
        #expect(ledger.removeClient(Self.b) == [])
    }

    @Test func aRefusedJoinIsWithdrawnAndAForgottenChannelHasNoHolders() {
        var ledger = JoinLedger()
        ledger.recordJoinRequested("ops", by: Self.a)
        ledger.recordJoinFailed("ops", by: Self.a)
        #expect(ledger.holders(of: "ops").isEmpty)
        ledger.recordJoinRequested("dev", by: Self.a)
        ledger.recordJoinRequested("dev", by: Self.b)
        ledger.forget("dev")
        #expect(ledger.removeClient(Self.a) == [])
    }

    // MARK: Reply routing

    private func route(
        _ router: inout RequestRouter, _ ledger: inout JoinLedger, _ tag: UInt64, _ reply: LinkReply
    ) -> [RoutedRecord] {
        router.route(
            RequestTag(rawValue: tag), reply: .init(reply), ownPath: Self.me, formatter: formatter,
            permissions: permissions, ledger: &ledger, receivedAtMs: 1)
    }

    private func pending(_ client: ConnectClientID, _ frame: ProtocolMessage, _ id: JSONValue?) -> RoutedRequest {
        RoutedRequest(origin: .client(client), request: ClientRequest(frame: frame, correlation: id))
    }

    @Test func eachReplyGoesOnlyToItsClientWithItsOwnId() {
        var router = RequestRouter()
        var ledger = JoinLedger()
        router.record(RequestTag(rawValue: 1), pending(Self.a, .who(channel: nil), "1"))
        router.record(RequestTag(rawValue: 2), pending(Self.b, .who(channel: nil), "1"))
        router.record(RequestTag(rawValue: 3), pending(.local, .listChannels, nil))
        #expect(router.outstandingCount == 3)
        #expect(router.outstandingCount(of: Self.b) == 1)
        let second = route(&router, &ledger, 2, .frame(.presence(channel: nil, sessions: [])))
        #expect(second.map(\.audience) == [.client(Self.b)])
        #expect(second.first?.object["_id"] == "1")
        let first = route(&router, &ledger, 1, .failed("connection lost; retry"))
        #expect(first.map(\.audience) == [.client(Self.a)])
        #expect(first.first?.object["error"] == "internal")
        #expect(first.first?.object["_local"] == true)
        let third = route(&router, &ledger, 3, .frame(.channelList(channels: [])))
        #expect(third.first?.object["_id"] == nil)
        #expect(route(&router, &ledger, 3, .frame(.ack(detail: nil))).isEmpty)
        #expect(router.outstandingCount == 0)
    }

    @Test func anAcknowledgedPostIsEchoedToEveryoneElseFromThisLinksPath() {
        var router = RequestRouter()
        var ledger = JoinLedger()
        let provisional = SessionPath(user: "unknown", machine: "unknown", session: "work")
        router.record(RequestTag(rawValue: 1),
                      pending(Self.a, .channelMsg(channel: "ops", from: provisional, payload: .plain("hi")), 5))
        let records = route(&router, &ledger, 1, .frame(.ack(detail: nil)))
        #expect(records.map(\.audience) == [.client(Self.a), .everyoneExcept(Self.a)])
        let echo = records[1].object
        #expect(echo["_echo"] == true)
        #expect(echo["from"] == "alice/laptop/work")
        #expect(echo["_id"] == nil)
        #expect(echo["_permission"] == "notify")
        #expect(ConnectAudience.everyoneExcept(Self.a).includes(.local))
        #expect(!ConnectAudience.everyoneExcept(.local).includes(.local))
    }

    @Test func refusedOrMutedPostsAreNotEchoed() {
        var router = RequestRouter()
        var ledger = JoinLedger()
        let post = { (channel: String) in
            ProtocolMessage.channelMsg(channel: channel, from: Self.me, payload: .plain("x"))
        }
        router.record(RequestTag(rawValue: 1), pending(Self.a, post("ops"), nil))
        router.record(RequestTag(rawValue: 2), pending(Self.a, post("quiet"), nil))
        #expect(route(&router, &ledger, 1, .frame(.error(.unauthorized("not a member")))).count == 1)
        #expect(route(&router, &ledger, 2, .frame(.ack(detail: nil))).count == 1)
    }

    @Test func aRefusedJoinIsWithdrawnFromTheLedger() {
        var router = RequestRouter()
        var ledger = JoinLedger()
        ledger.recordJoinRequested("ops", by: Self.a)
        ledger.recordJoinRequested("dev", by: Self.a)
        router.record(RequestTag(rawValue: 1), pending(Self.a, .join(channel: "ops", token: nil), nil))
        router.record(RequestTag(rawValue: 2), pending(Self.a, .join(channel: "dev", token: nil), nil))
        _ = route(&router, &ledger, 1, .frame(.error(.notFound("channel `ops`"))))
        _ = route(&router, &ledger, 2, .frame(.joined(channel: "dev")))
        #expect(ledger.holders(of: "ops").isEmpty)
        #expect(ledger.holders(of: "dev") == [Self.a])
    }

    @Test func repliesToADepartedClientAndToBookkeepingAreDropped() {
        var router = RequestRouter()
        var ledger = JoinLedger()
        router.record(RequestTag(rawValue: 1), pending(Self.a, .who(channel: nil), 1))
        router.record(RequestTag(rawValue: 2), RoutedRequest(
            origin: .bookkeeping, request: ClientRequest(frame: .leave(channel: "ops"))))
        router.removeClient(Self.a)
        #expect(router.outstandingCount(of: Self.a) == 0)
        #expect(route(&router, &ledger, 1, .frame(.presence(channel: nil, sessions: []))).isEmpty)
        #expect(route(&router, &ledger, 2, .frame(.ack(detail: "ops"))).isEmpty)
    }
}

extension LinkReply {
    fileprivate init(_ reply: LinkReply) { self = reply }
}
