import Testing
@testable import ConclaveLink
@testable import ConclaveWire

@Suite struct LinkBackoffTests {
    @Test func doublesUpToTheCap() {
        var backoff = Backoff(baseMilliseconds: 200, capMilliseconds: 30_000, stabilityWindowMilliseconds: 30_000)
        let delays = (0..<11).map { _ in backoff.nextDelay() }
        #expect(delays == [200, 400, 800, 1_600, 3_200, 6_400, 12_800, 25_600, 30_000, 30_000, 30_000])
    }

    @Test func resetsOnlyAfterAStableLink() {
        var backoff = Backoff(baseMilliseconds: 100, capMilliseconds: 10_000, stabilityWindowMilliseconds: 5_000)
        _ = backoff.nextDelay()
        _ = backoff.nextDelay()
        backoff.linkWentDown(afterMilliseconds: 4_999)
        let afterShortLink = backoff.nextDelay()
        #expect(afterShortLink == 400)
        backoff.linkWentDown(afterMilliseconds: 5_000)
        let afterStableLink = backoff.nextDelay()
        #expect(afterStableLink == 100)
    }

    @Test func neverOverflowsOrSticksAtZero() {
        var huge = Backoff(baseMilliseconds: .max / 2 + 1, capMilliseconds: .max, stabilityWindowMilliseconds: 1)
        _ = huge.nextDelay()
        let capped = huge.nextDelay()
        #expect(capped == .max)
        var zero = Backoff(baseMilliseconds: 0, capMilliseconds: 5, stabilityWindowMilliseconds: 1)
        let delays = (0..<3).map { _ in zero.nextDelay() }
        #expect(delays == [0, 1, 2])
    }

    @Test func takesItsNumbersFromTheTiming() {
        var timing = LinkTiming()
        timing.backoffBaseMs = 10
        timing.backoffCapMs = 15
        var backoff = Backoff(timing: timing)
        let delays = (0..<3).map { _ in backoff.nextDelay() }
        #expect(delays == [10, 15, 15])
    }
}

@Suite struct LinkFlapBreakerTests {
    @Test func tripsAtTheThresholdOfShortLinksAndStartsOver() {
        var breaker = FlapBreaker(threshold: 3, stabilityWindowMilliseconds: 1_000)
        let verdicts = (0..<6).map { _ in breaker.linkWentDown(afterMilliseconds: 10, staysQuietAfterTrip: false) }
        #expect(verdicts == [.steady, .steady, .tripped, .steady, .steady, .tripped])
    }

    @Test func aStableLinkResetsTheCount() {
        var breaker = FlapBreaker(threshold: 2, stabilityWindowMilliseconds: 1_000)
        let verdicts = [10, 1_000, 10, 10].map {
            breaker.linkWentDown(afterMilliseconds: $0, staysQuietAfterTrip: false)
        }
        #expect(verdicts == [.steady, .steady, .steady, .tripped])
    }

    @Test func anExplicitHandleIsWarnedAboutOnceUntilALinkSurvives() {
        var breaker = FlapBreaker(threshold: 2, stabilityWindowMilliseconds: 1_000)
        var verdicts = (0..<6).map { _ in breaker.linkWentDown(afterMilliseconds: 1, staysQuietAfterTrip: true) }
        #expect(verdicts == [.steady, .tripped, .steady, .steady, .steady, .steady])
        #expect(breaker.isQuiet)
        _ = breaker.linkWentDown(afterMilliseconds: 5_000, staysQuietAfterTrip: true)
        #expect(!breaker.isQuiet)
        verdicts = (0..<2).map { _ in breaker.linkWentDown(afterMilliseconds: 1, staysQuietAfterTrip: true) }
        #expect(verdicts == [.steady, .tripped])
    }
}

@Suite struct LinkRequestFIFOTests {
    private let path = SessionPath(user: "a", machine: "m", session: "s")

    @Test func repliesCompleteTheHeadInOrder() {
        var fifo = RequestFIFO<Int>()
        fifo.append(1)
        fifo.append(2)
        guard case .reply(let first) = fifo.receive(.joined(channel: "ops")) else {
            Issue.record("not a reply")
            return
        }
        guard case .reply(let second) = fifo.receive(.error(.notFound("channel `x`"))) else {
            Issue.record("not a reply")
            return
        }
        #expect([first, second] == [1, 2])
        #expect(fifo.isEmpty)
    }

    @Test func pongsInfoAndDeliveriesLeaveTheFIFOAlone() {
        var fifo = RequestFIFO<Int>()
        fifo.append(7)
        let delivery = ProtocolMessage.channelMsg(channel: "ops", from: path, payload: .plain("hi"))
        let whisper = ProtocolMessage.whisper(from: path, target: path, payload: .plain("psst"))
        for frame in [ProtocolMessage.pong, .serverInfo(admin: true), delivery, whisper] {
            switch fifo.receive(frame) {
            case .pong, .serverInfo, .delivery: break
            default: Issue.record("\(frame.typeName) completed a request")
            }
        }
        #expect(fifo.count == 1)
    }

    @Test func anErrorWithNothingOutstandingIsUnsolicited() {
        var fifo = RequestFIFO<Int>()
        guard case .unsolicitedError = fifo.receive(.error(.unauthorized("idle timeout: no heartbeat"))) else {
            Issue.record("not unsolicited")
            return
        }
        guard case .unexpected = fifo.receive(.ack(detail: nil)) else {
            Issue.record("a reply without a request must be unexpected")
            return
        }
        guard case .unexpected = fifo.receive(.challenge(nonce: [])) else {
            Issue.record("a handshake frame after the handshake must be unexpected")
            return
        }
    }

    @Test func everyReplyKindCompletesARequest() {
        let replies: [ProtocolMessage] = [
            .joined(channel: "c"), .ack(detail: nil), .presence(channel: nil, sessions: []), .channelList(channels: []),
            .machineList(machines: []), .userList(users: []), .inviteList(invites: []), .inviteToken(token: "t"),
            .history(channel: "c", messages: []), .error(.internal("x")),
        ]
        for reply in replies {
            #expect(ServerFrameRole(of: reply, hasOutstandingRequests: true) == .reply, "\(reply.typeName)")
        }
    }

    @Test func marksTellWhetherEarlierRequestsWereAnswered() {
        var fifo = RequestFIFO<Int>()
        fifo.append(1)
        fifo.append(2)
        let mark = fifo.appendedCount
        fifo.append(3)
        _ = fifo.receive(.ack(detail: nil))
        #expect(!fifo.hasCompleted(upTo: mark))
        _ = fifo.receive(.ack(detail: nil))
        #expect(fifo.hasCompleted(upTo: mark))
        _ = fifo.removeAll()
        #expect(fifo.appendedCount == 0 && fifo.hasCompleted(upTo: 0))
    }

    @Test func drainingReturnsWhatIsLeftOldestFirst() {
        var fifo = RequestFIFO<Int>()
        for value in 0..<200 { fifo.append(value) }
        for _ in 0..<150 { _ = fifo.receive(.ack(detail: nil)) }
        #expect(Array(fifo.outstanding) == Array(150..<200))
        #expect(fifo.removeAll() == Array(150..<200))
        #expect(fifo.isEmpty)
    }
}

@Suite struct LinkRetryPolicyTests {
    private let path = SessionPath(user: "a", machine: "m", session: "s")

    @Test func classifiesEveryRequest() {
        let resend: [ProtocolMessage] = [
            .join(channel: "c", token: nil), .leave(channel: "c"), .who(channel: nil), .listChannels, .listMachines,
            .listUsers, .readSince(channel: "c", sinceMs: 0),
        ]
        for request in resend { #expect(RequestRetryPolicy(for: request) == .resend, "\(request.typeName)") }
        #expect(RequestRetryPolicy(for: .channelMsg(channel: "c", from: path, payload: .plain("x"))) == .reconcile)
        #expect(RequestRetryPolicy(for: .whisper(from: path, target: path, payload: .plain("x"))) == .failUnverifiable)
        let fail: [ProtocolMessage] = [
            .admin(.createChannel(name: "c", visibility: .public)), .register(username: "u", machine: "m", pubkey: []),
            .hello(protocolVersion: 1, session: "s"),
        ]
        for request in fail { #expect(RequestRetryPolicy(for: request) == .fail, "\(request.typeName)") }
    }
}

@Suite struct LinkPostReconciliationTests {
    private let me = SessionPath(user: "a", machine: "m", session: "s")
    private let other = SessionPath(user: "b", machine: "m", session: "s")

    private func key(_ text: String, from: SessionPath? = nil) -> PostReconciliation.Key {
        PostReconciliation.Key(from: from ?? me, payload: .plain(text))
    }

    private func row(_ text: String, from: SessionPath? = nil, at ts: Int64 = 1) -> HistoryMessage {
        HistoryMessage(from: from ?? me, tsMs: ts, payload: .plain(text))
    }

    @Test func aPostIsThereOnlyWithItsPathAndPayload() {
        let arrived = PostReconciliation.arrived(
            pending: [key("one"), key("two"), key("three")],
            rows: [row("one"), row("two", from: other), row("THREE")], acknowledged: [])
        #expect(arrived == [true, false, false])
    }

    @Test func rowsAndPostsMatchAsAMultiset() {
        let arrived = PostReconciliation.arrived(
            pending: [key("x"), key("x"), key("x")], rows: [row("x", at: 1), row("x", at: 2)], acknowledged: [])
        #expect(arrived == [true, true, false])
    }

    @Test func rowsOfAcknowledgedPostsAreNotProof() {
        let arrived = PostReconciliation.arrived(
            pending: [key("ok")], rows: [row("ok")], acknowledged: [key("ok")])
        #expect(arrived == [false])
        let twice = PostReconciliation.arrived(
            pending: [key("ok")], rows: [row("ok"), row("ok")], acknowledged: [key("ok")])
        #expect(twice == [true])
    }

    @Test func acknowledgedPostsOutsideTheRowsChangeNothing() {
        let arrived = PostReconciliation.arrived(pending: [key("a")], rows: [row("a")], acknowledged: [key("b")])
        #expect(arrived == [true])
    }

    @Test func encryptedPayloadsCompareByValue() {
        let envelope = Payload.encrypted(Envelope(ciphertext: [1, 2, 3], keyID: "k"))
        let pending = [PostReconciliation.Key(from: me, payload: envelope)]
        let rows = [HistoryMessage(from: me, tsMs: 5, payload: envelope)]
        #expect(PostReconciliation.arrived(pending: pending, rows: rows, acknowledged: []) == [true])
    }
}

@Suite struct LinkPostClaimsTests {
    private let me = SessionPath(user: "a", machine: "m", session: "s")

    @Test func keepsAcknowledgedAndInFlightPostsUntilTheConnectionDrops() {
        var claims = PostClaims()
        let key = PostReconciliation.Key(from: me, payload: .plain("x"))
        claims.sent(RequestTag(rawValue: 1), channel: "c", key: key, wallMs: 100)
        claims.sent(RequestTag(rawValue: 2), channel: "c", key: key, wallMs: 200)
        claims.sent(RequestTag(rawValue: 3), channel: "c", key: key, wallMs: 300)
        claims.acknowledged(RequestTag(rawValue: 1), channel: "c")
        claims.refused(RequestTag(rawValue: 2), channel: "c")
        #expect(claims.keys(channel: "c", sentAfter: 0).count == 2)
        #expect(claims.keys(channel: "c", sentAfter: 100).count == 1)
        claims.connectionLost()
        #expect(claims.keys(channel: "c", sentAfter: 0) == [key])
        claims.forget(sentBefore: 101)
        #expect(claims.keys(channel: "c", sentAfter: 0).isEmpty)
        #expect(claims.keys(channel: "other", sentAfter: 0).isEmpty)
    }
}

@Suite struct LinkHistoryPagerTests {
    private let me = SessionPath(user: "a", machine: "m", session: "s")

    private func page(from first: Int64, count: Int, step: Int64 = 1) -> [HistoryMessage] {
        (0..<Int64(count)).map { index in
            HistoryMessage(from: me, tsMs: first + index * step, payload: .plain("m\(first + index * step)"))
        }
    }

    /// A server may cut a page short to stay under 16 MiB, so only a page with nothing new ends the read.
    @Test func aShortPageIsFollowedByOneMoreRequestAndAPageWithNothingNewEndsTheRead() {
        var pager = HistoryPager(channel: "c", sinceMs: 10)
        #expect(pager.request == .readSince(channel: "c", sinceMs: 10))
        let more = pager.receive(page(from: 11, count: 3))
        #expect(more)
        #expect(pager.request == .readSince(channel: "c", sinceMs: 12))
        let evenMore = pager.receive(page(from: 13, count: 1))
        #expect(!evenMore)
        #expect(pager.rows.count == 3)
    }

    @Test func aPageCutShortIsContinued() {
        var pager = HistoryPager(channel: "c", sinceMs: 0)
        let first = pager.receive(page(from: 1, count: 2))
        let second = pager.receive(page(from: 2, count: 3))
        let third = pager.receive(page(from: 4, count: 1))
        #expect(first && second && !third)
        #expect(pager.rows.map(\.tsMs) == [1, 2, 3, 4])
    }

    @Test func aFullPageAsksAgainFromTheLastTimestampMinusOneAndDropsTheOverlap() {
        var pager = HistoryPager(channel: "c", sinceMs: 0)
        let more = pager.receive(page(from: 1, count: 500))
        #expect(more)
        #expect(pager.request == .readSince(channel: "c", sinceMs: 499))
        let evenMore = pager.receive(page(from: 500, count: 10))
        let last = pager.receive(page(from: 509, count: 1))
        #expect(evenMore && !last)
        #expect(pager.rows.count == 509)
        #expect(pager.rows.map(\.tsMs) == Array(1...509))
    }

    @Test func identicalRowsWithinAPageAreKept() {
        var pager = HistoryPager(channel: "c", sinceMs: 0)
        let twice = Array(repeating: HistoryMessage(from: me, tsMs: 5, payload: .plain("x")), count: 2)
        let more = pager.receive(twice)
        let again = pager.receive(twice)
        #expect(more && !again)
        #expect(pager.rows.count == 2)
    }

    @Test func theOverlapIsDroppedAsAMultiset() {
        var pager = HistoryPager(channel: "c", sinceMs: 0)
        var first = page(from: 1, count: 498)
        first += Array(repeating: HistoryMessage(from: me, tsMs: 600, payload: .plain("x")), count: 2)
        let more = pager.receive(first)
        #expect(more)
        #expect(pager.sinceMs == 599)
        let second = Array(repeating: HistoryMessage(from: me, tsMs: 600, payload: .plain("x")), count: 3)
        let evenMore = pager.receive(second)
        #expect(pager.sinceMs == 600)
        let empty = pager.receive([])
        #expect(evenMore && !empty)
        #expect(pager.rows.count == 501)
    }

    @Test func aFullPageOfOneTimestampDoesNotLoop() {
        var pager = HistoryPager(channel: "c", sinceMs: 41)
        let same = (0..<500).map { HistoryMessage(from: me, tsMs: 42, payload: .plain("x\($0)")) }
        let more = pager.receive(same)
        #expect(more)
        #expect(pager.sinceMs == 42)
        let evenMore = pager.receive([HistoryMessage(from: me, tsMs: 43, payload: .plain("next"))])
        let empty = pager.receive([])
        #expect(evenMore && !empty)
        #expect(pager.rows.count == 501)
    }

    @Test func extremeTimestampsNeverTrap() {
        var pager = HistoryPager(channel: "c", sinceMs: .min)
        let rows = (0..<500).map { HistoryMessage(from: me, tsMs: .min, payload: .plain("x\($0)")) }
        let more = pager.receive(rows)
        #expect(!more)
    }
}

@Suite struct LinkProcessWideStateTests {
    @Test func handleGenerationsAdvanceOnceForRacingLinks() {
        let base = "gen-test-\(UInt32.random(in: 0...UInt32.max))"
        #expect(HandleGenerations.current(base: base) == 1)
        #expect(HandleGenerations.handle(base: base, generation: 1) == base)
        #expect(HandleGenerations.advance(base: base, from: 1) == 2)
        #expect(HandleGenerations.advance(base: base, from: 1) == nil)
        #expect(HandleGenerations.handle(base: base, generation: HandleGenerations.current(base: base)) == base + "-2")
    }

    @Test func aServerIDBelongsToTheFirstURLThatReachedIt() {
        let id = "id-\(UInt32.random(in: 0...UInt32.max))"
        #expect(SameServerRegistry.claim(id, for: "ws://a/") == .claimed)
        #expect(SameServerRegistry.claim(id, for: "ws://a/") == .claimed)
        #expect(SameServerRegistry.claim(id, for: "ws://b/") == .heldBy(url: "ws://a/"))
    }
}

@Suite struct LinkTimingEnvironmentTests {
    @Test func defaultsWithoutHooks() throws {
        #expect(try LinkTiming.fromEnvironment([:]) == LinkTiming())
        #expect(try LinkTiming.fromEnvironment([LinkTiming.stabilityVariable: ""]) == LinkTiming())
    }

    @Test func readsEveryHook() throws {
        let timing = try LinkTiming.fromEnvironment([
            "CONCLAVE_STABILITY_MS": "1500", "CONCLAVE_BACKOFF_BASE_MS": "20", "CONCLAVE_BACKOFF_CAP_MS": "80",
            "CONCLAVE_FLAP_THRESHOLD": "2",
        ])
        #expect(timing.stabilityWindowMs == 1_500)
        #expect(timing.backoffBaseMs == 20)
        #expect(timing.backoffCapMs == 80)
        #expect(timing.flapThreshold == 2)
        #expect(timing.pingIntervalMs == LinkTiming().pingIntervalMs)
    }

    @Test(arguments: [
        ("CONCLAVE_STABILITY_MS", "-1"), ("CONCLAVE_BACKOFF_BASE_MS", "0"), ("CONCLAVE_BACKOFF_CAP_MS", "1e3"),
        ("CONCLAVE_FLAP_THRESHOLD", "0"), ("CONCLAVE_FLAP_THRESHOLD", " 3"), ("CONCLAVE_STABILITY_MS", "86400001"),
        ("CONCLAVE_BACKOFF_BASE_MS", "99999999999999999999999"),
    ])
    func refusesABadValueNamingTheVariable(_ name: String, _ value: String) {
        #expect {
            try LinkTiming.fromEnvironment([name: value])
        } throws: { error in
            guard let error = error as? LinkTimingError else { return false }
            return error.code == .invalidNumber && error.variable == name && error.description.contains(name)
                && error.exitStatus == .usage
        }
    }

    @Test func refusesACapBelowTheBase() {
        #expect {
            try LinkTiming.fromEnvironment(["CONCLAVE_BACKOFF_BASE_MS": "500", "CONCLAVE_BACKOFF_CAP_MS": "100"])
        } throws: { error in
            (error as? LinkTimingError)?.code == .capBelowBase
                && (error as? LinkTimingError)?.variable == "CONCLAVE_BACKOFF_CAP_MS"
        }
    }
}
