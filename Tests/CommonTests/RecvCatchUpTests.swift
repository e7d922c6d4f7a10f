import Testing
@testable import ConclaveClient
@testable import ConclaveWire

/// The history/live seam of `conclave-recv` (`CatchUpTracker`): every message printed exactly as many times as
/// it was sent, across pages, shared timestamps, the seam and reconnects.
@Suite struct RecvCatchUpTests {
    private static let alice = SessionPath(user: "alice", machine: "laptop", session: "main")

    private static func row(_ text: String, _ tsMs: Int64) -> HistoryMessage {
        HistoryMessage(from: alice, tsMs: tsMs, payload: .plain(text))
    }

    private static func live(_ text: String) -> CatchUpTracker.LiveMessage {
        .init(channel: "ops", from: alice, payload: .plain(text), receivedAtMs: 1)
    }

    /// The bodies of printed messages, history and live alike, and `end` for `history_end`.
    private static func bodies(_ outputs: [CatchUpTracker.Output]) -> [String] {
        outputs.map { output in
            switch output {
            case let .row(_, row): if case let .plain(text) = row.payload { text } else { "?" }
            case let .live(message): if case let .plain(text) = message.payload { text } else { "?" }
            case .historyEnd: "end"
            }
        }
    }

    @Test func replayPagesFullPagesFromTheirLastTimestampMinusOneAndPrintsEachRowOnce() {
        var tracker = CatchUpTracker()
        let first = tracker.begin("ops", sinceMs: 0, kind: .replay(announcesEnd: true))
        #expect(first == .readSince(channel: "ops", sinceMs: 0))
        // 1,200 rows, many sharing one timestamp: three pages, each overlapping the last.
        let all = (0..<1200).map { Self.row("m\($0)", 1000 + Int64($0 / 7)) }
        var printed: [String] = []
        var since: Int64 = 0
        var pages = 0
        while true {
            let page = Array(all.filter { $0.tsMs > since }.prefix(500))
            pages += 1
            let step = tracker.receivePage("ops", rows: page)
            printed += Self.bodies(step.outputs)
            guard case let .readSince(_, next)? = step.request else { break }
            since = next
        }
        // Three pages of rows, then one that brings nothing new ends the read.
        #expect(pages == 4)
        #expect(printed == all.map { if case let .plain(text) = $0.payload { text } else { "" } } + ["end"])
    }

    @Test func liveFramesDuringAReadAreMatchedAgainstItsRowsAsAMultiset() {
        var tracker = CatchUpTracker()
        _ = tracker.begin("ops", sinceMs: 0, kind: .replay(announcesEnd: true))
        // "ok" was sent three times: twice before the join, once after (live, while the read was under way).
        #expect(tracker.receive(Self.live("ok")).outputs.isEmpty)
        #expect(tracker.receive(Self.live("new")).outputs.isEmpty)
        let step = tracker.receivePage("ops", rows: [Self.row("ok", 5), Self.row("ok", 6), Self.row("ok", 9)])
        let last = tracker.receivePage("ops", rows: [Self.row("ok", 9)])
        // "new" was not in the pages (it came after): printed live after history_end.
        #expect(Self.bodies(step.outputs + last.outputs) == ["ok", "ok", "ok", "end", "new"])
        #expect(Self.bodies(tracker.receive(Self.live("later")).outputs) == ["later"])
    }

    @Test func aCatchUpPrintsOnlyWhatWasMissedEvenWithRepeatedBodies() {
        var tracker = CatchUpTracker()
        _ = tracker.begin("ops", sinceMs: 0, kind: .replay(announcesEnd: true))
        let firstPage = tracker.receivePage("ops", rows: [Self.row("tick", 10), Self.row("a", 20)])
        // A short page may have been cut at 16 MiB: the read goes on until a page brings nothing new.
        #expect(firstPage.request == .readSince(channel: "ops", sinceMs: 19))
        _ = tracker.receivePage("ops", rows: [Self.row("a", 20)])
        #expect(tracker.watermarks["ops"]?.sinceMs == 19)
        _ = tracker.receive(Self.live("tick"))
        _ = tracker.receive(Self.live("tick"))
        // The link dropped; two more ticks and a "b" were posted meanwhile. The catch-up returns from ts 20 on.
        #expect(tracker.catchUp("ops") == .readSince(channel: "ops", sinceMs: 19))
        #expect(tracker.catchUp("ops") == nil)
        #expect(tracker.receive(Self.live("after")).outputs.isEmpty)
        let rows = [Self.row("a", 20), Self.row("tick", 30), Self.row("tick", 31), Self.row("tick", 40),
                    Self.row("b", 41), Self.row("tick", 42), Self.row("after", 50)]
        let step = tracker.receivePage("ops", rows: rows)
        #expect(step.request == .readSince(channel: "ops", sinceMs: 49))
        let last = tracker.receivePage("ops", rows: [Self.row("after", 50)])
        // "after" arrived live during the read: printed once, as its row.
        #expect(Self.bodies(step.outputs + last.outputs) == ["tick", "b", "tick", "after"])
        #expect(last.request == nil)
        #expect(tracker.watermarks["ops"]?.sinceMs == 49)
    }

    @Test func aBaselinePrintsNoRowsButEveryLiveFrame() {
        var tracker = CatchUpTracker()
        _ = tracker.begin("ops", sinceMs: 100, kind: .baseline)
        #expect(tracker.receive(Self.live("x")).outputs.isEmpty)
        let step = tracker.receivePage("ops", rows: [Self.row("x", 150), Self.row("x", 160)])
        let last = tracker.receivePage("ops", rows: [Self.row("x", 160)])
        #expect(Self.bodies(step.outputs + last.outputs) == ["x"])
        // Both rows are accounted for: a catch-up from the watermark prints neither again.
        _ = tracker.catchUp("ops")
        let caughtUp = tracker.receivePage("ops", rows: [Self.row("x", 160), Self.row("y", 170)])
        let end = tracker.receivePage("ops", rows: [Self.row("y", 170)])
        #expect(caughtUp.outputs.count + end.outputs.count == 1)
    }

    @Test func manyLiveMessagesTriggerACheckpointThatPrintsNothingAgain() {
        var tracker = CatchUpTracker(checkpointThreshold: 3)
        _ = tracker.begin("ops", sinceMs: 0, kind: .baseline)
        _ = tracker.receivePage("ops", rows: [])
        var request: ProtocolMessage?
        for index in 0..<4 { request = tracker.receive(Self.live("m\(index)")).request ?? request }
        #expect(request == .readSince(channel: "ops", sinceMs: 0))
        let step = tracker.receivePage("ops", rows: (0..<4).map { Self.row("m\($0)", 10 + Int64($0)) })
        let last = tracker.receivePage("ops", rows: [Self.row("m3", 13)])
        #expect(step.outputs.isEmpty && last.outputs.isEmpty)
        #expect(tracker.watermarks["ops"]?.accounted.count == 1)
    }

    @Test func sinceParsesDurationsEpochMillisecondsAndRFC3339() {
        #expect(SinceTime(parsing: "90") == .ago(milliseconds: 90_000))
        #expect(SinceTime(parsing: "2m") == .ago(milliseconds: 120_000))
        #expect(SinceTime(parsing: "1h")?.epochMilliseconds(now: 10_000_000) == 6_400_000)
        #expect(SinceTime(parsing: "1w") == .ago(milliseconds: 604_800_000))
        #expect(SinceTime(parsing: "@1751500000123") == .absolute(epochMs: 1_751_500_000_123))
        #expect(SinceTime(parsing: "2025-07-03T00:26:40.123Z") == .absolute(epochMs: 1_751_502_400_123))
        #expect(SinceTime(parsing: "2025-07-03T02:26:40+02:00") == .absolute(epochMs: 1_751_502_400_000))
        for bad in ["", "h", "1x", "-5", "@", "@x", "2025-02-30T00:00:00Z", "2025-07-03T00:26:40", "1.5h"] {
            #expect(SinceTime(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func rfc3339ParsingInvertsFormatting() {
        for ms: Int64 in [0, 1, 999, 86_399_999, 951_782_400_000, 1_751_500_000_123, 253_402_300_799_999] {
            #expect(RFC3339.parse(RFC3339.format(milliseconds: ms)) == ms)
        }
        #expect(RFC3339.parse("1969-12-31T23:59:59.5z") == -500)
        #expect(RFC3339.parse("2024-02-29 12:00:00.123456Z") == 1_709_208_000_123)
    }

    @Test func templatesRenderEveryCode() throws {
        let object: JSONObject = [
            "type": "channel_msg", "channel": "ops", "from": "alice/laptop/main", "payload": ["plain": "hi"],
            "_rx_ms": 1_751_500_000_999, "_ts_ms": 1_751_500_000_123,
        ]
        let message = try #require(PrintedMessage(object))
        let template = try RecordTemplate(parsing: #"%c %f %u %m %s %b %t %T %%\t\0\\"#)
        #expect(template.render(message) == "ops alice/laptop/main alice laptop main hi 1751500000123 "
            + "2025-07-02T23:46:40+00:00 %\t\0\\")
        #expect(throws: RecvError.self) { try RecordTemplate(parsing: "%q") }
        #expect(throws: RecvError.self) { try RecordTemplate(parsing: "ends in %") }
        let whisper: JSONObject = [
            "type": "whisper", "from": "bob/desk/x", "target": "alice/laptop/main",
            "payload": ["encrypted": ["ciphertext": "AAAA", "key_id": nil]], "_rx_ms": 5,
        ]
        #expect(RecordStyle.body.render(whisper) == "<encrypted>")
        #expect(try RecordTemplate(parsing: "[%c] %b %t").render(try #require(PrintedMessage(whisper)))
            == "[] <encrypted> 5")
    }

    @Test func aPositionSavedAfterEachRecordResumesWithoutGapOrRepeatAtASharedTimestamp() {
        // Three rows share ts 7: a run stopped after the second record goes on with the third alone.
        var tracker = CatchUpTracker()
        _ = tracker.begin("ops", sinceMs: 0, kind: .replay(announcesEnd: false))
        let rows = [Self.row("a", 5), Self.row("x", 7), Self.row("x", 7), Self.row("b", 7)]
        let step = tracker.receivePage("ops", rows: rows)
        #expect(Self.bodies(step.outputs) == ["a", "x", "x", "b"])
        guard let saved = step.positions[2] else { return #expect(Bool(false), "no position after the 3rd") }
        #expect(saved.sinceMs == 6 && saved.accounted.count == 2)
        // A later run resumes from it; meanwhile another "x" came at ts 7 and "c" at ts 9.
        var next = CatchUpTracker()
        let request = next.resume("ops", from: saved, kind: .replay(announcesEnd: false))
        #expect(request == .readSince(channel: "ops", sinceMs: 6))
        let later = next.receivePage("ops", rows: Array(rows.dropFirst()) + [Self.row("x", 7), Self.row("c", 9)])
        #expect(Self.bodies(later.outputs) == ["b", "x", "c"])
        #expect(later.positions.last??.sinceMs == 8)
    }

    @Test func aMultisetMatchesInOrderOrNotAlike() {
        let keys = ["a", "b", "a", "c"].map { MessageKey(from: Self.alice, payload: .plain($0)) }
        var inOrder = MessageMultiset(keys)
        #expect(Self.remove(keys + [keys[0]], from: &inOrder) == [true, true, true, true, false])
        #expect(inOrder.count == 0)

        var outOfOrder = MessageMultiset(keys)
        #expect(outOfOrder == MessageMultiset(keys.reversed()))
        #expect(Self.remove([keys[3], keys[0], keys[3]], from: &outOfOrder) == [true, true, false])
        outOfOrder.insert(keys[3])
        #expect(outOfOrder == MessageMultiset([keys[1], keys[2], keys[3]]))
        #expect(outOfOrder.entries == [keys[0]: 1, keys[1]: 1, keys[3]: 1])
        #expect(Self.remove([keys[2], keys[3], keys[1]], from: &outOfOrder) == [true, true, true])
        #expect(outOfOrder.count == 0 && outOfOrder == MessageMultiset())

        var union = MessageMultiset([keys[0]])
        var other = MessageMultiset([keys[1], keys[0]])
        #expect(Self.remove([keys[0]], from: &other) == [true])
        union.formUnion(other)
        #expect(union.count == 2 && union == MessageMultiset([keys[1], keys[0]]))
        union.removeAll()
        #expect(union.count == 0 && union.entries.isEmpty)
    }

    /// Whether each of `keys` was there to remove, in turn.
    private static func remove(_ keys: [MessageKey], from multiset: inout MessageMultiset) -> [Bool] {
        keys.map { multiset.remove($0) }
    }
}
