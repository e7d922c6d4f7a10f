import ConclaveLink
import ConclaveWire

/// The seam between history and live traffic, per channel (TOOLS.md "conclave-recv", `--since`): pure, so every
/// rule is unit-tested; the session feeds it replies and deliveries and submits the requests it returns.
///
/// A read pages through `read_since` (PROTOCOL.md §6.5, `HistoryPager`) while live frames of its channel wait.
/// The server answers in order, so every live frame that arrives before the last page was stored before that
/// page was read: it is one of the rows, and is matched against them as a multiset on (from, payload) when the
/// read ends. Rows already accounted for by the watermark (printed before a drop) are matched the same way.
/// Each message is therefore printed exactly as many times as it was sent.
///
/// Reads: the first one of a channel (`--since`: rows are printed, then `history_end`; without: a baseline
/// from a minute back whose rows are only counted, so that a later catch-up has a server-time watermark), one
/// after every reconnect (`catchUp`), and a checkpoint when the accounted messages pass
/// `checkpointThreshold`, so memory stays bounded on a long follow.
package struct CatchUpTracker: Sendable {
    /// What the session prints, in order.
    package enum Output: Hashable, Sendable {
        case row(channel: String, HistoryMessage)
        case live(LiveMessage)
        /// The first read of a `--since` channel ended; `tsMs` is its newest row's time, or the start.
        case historyEnd(channel: String, tsMs: Int64)
    }

    /// A live `channel_msg` as received.
    package struct LiveMessage: Hashable, Sendable {
        package var channel: String
        package var from: SessionPath
        package var payload: Payload
        package var receivedAtMs: Int64

        package init(channel: String, from: SessionPath, payload: Payload, receivedAtMs: Int64) {
            self.channel = channel
            self.from = from
            self.payload = payload
            self.receivedAtMs = receivedAtMs
        }

        var key: MessageKey { MessageKey(from: from, payload: payload) }
    }

    /// How a read treats the rows it finds that are not accounted for yet.
    package enum ReadKind: Hashable, Sendable {
        /// Printed; `announcesEnd` adds `history_end` after the last page.
        case replay(announcesEnd: Bool)
        /// Counted only: they came before this follower started.
        case baseline
    }

    /// What one step asks of the session: print `outputs`, then submit `request` (a page of a read), if any.
    package struct Step: Hashable, Sendable {
        package var outputs: [Output] = []
        package var request: ProtocolMessage?
        /// For `--cursor`: `positions[i]`, when there and not nil, is where the channel of `outputs[i]` stands
        /// once that output is printed, so a position saved after each record skips nothing it did not print.
        package var positions: [ChannelWatermark?] = []

        mutating func append(_ output: Output, position: ChannelWatermark?) {
            // Without a position, none is appended: without `--cursor` there is never one, and this runs for every
            // message printed.
            if let position {
                positions.append(contentsOf: repeatElement(nil, count: outputs.count - positions.count))
                positions.append(position)
            }
            outputs.append(output)
        }
    }

    private struct Read: Sendable {
        var pager: HistoryPager
        var kind: ReadKind
        /// Of the watermark's accounted messages, those no row has matched yet.
        var expected: MessageMultiset
        /// The indices in `pager.rows` of the rows that were not accounted for: the ones a waiting live frame
        /// may be. Made a multiset only at the end, and only when a frame waits, so that a long replay does not
        /// hash every row for nothing.
        var freshRows: [Int] = []
        var waiting: [LiveMessage] = []
        /// The newest timestamp among the rows gone through, and those rows at it: where a position saved in
        /// the middle of the read stands.
        var newestTsMs: Int64?
        var atNewest = MessageMultiset()

        mutating func pass(_ row: HistoryMessage, key: MessageKey) {
            if row.tsMs != newestTsMs {
                newestTsMs = row.tsMs
                atNewest = MessageMultiset()
            }
            atNewest.insert(key)
        }

        /// After the rows gone through: the next read starts below the newest of them and accounts for those
        /// at it and for the accounted messages no row has matched yet (their rows come later).
        func position(from watermark: ChannelWatermark) -> ChannelWatermark {
            guard let newestTsMs else { return watermark }
            var accounted = expected
            accounted.formUnion(atNewest)
            return ChannelWatermark(sinceMs: newestTsMs - 1, accounted: accounted)
        }
    }

    /// Accounted messages above which a channel re-anchors its watermark with a read.
    package static let checkpointThreshold = 20_000

    /// Every followed channel's position (what `--cursor` would save).
    package private(set) var watermarks: [String: ChannelWatermark] = [:]
    private var reads: [String: Read] = [:]
    private let checkpointThreshold: Int
    /// Whether each step carries `positions` (`--cursor`). A position is a copy of a channel's watermark, up to
    /// `checkpointThreshold` entries: made for every message only when something saves it.
    private let tracksPositions: Bool

    package init(checkpointThreshold: Int = CatchUpTracker.checkpointThreshold, tracksPositions: Bool = true) {
        self.checkpointThreshold = checkpointThreshold
        self.tracksPositions = tracksPositions
    }

    /// Whether a read of `channel` is under way.
    package func isReading(_ channel: String) -> Bool { reads[channel] != nil }

    /// `channel` was joined: its first read, from `sinceMs`; returns the request for its first page.
    package mutating func begin(_ channel: String, sinceMs: Int64, kind: ReadKind) -> ProtocolMessage {
        resume(channel, from: ChannelWatermark(sinceMs: sinceMs), kind: kind)
    }

    /// `channel` was joined, to go on from a saved `watermark` (`--cursor`); returns the request for its first
    /// page.
    package mutating func resume(
        _ channel: String, from watermark: ChannelWatermark, kind: ReadKind
    ) -> ProtocolMessage {
        watermarks[channel] = watermark
        return startRead(channel, kind: kind)
    }

    /// After a reconnect: the rows of `channel` since its watermark, unless a read is under way (the link
    /// re-sends that one) or the channel is not followed; returns the request for the first page.
    package mutating func catchUp(_ channel: String) -> ProtocolMessage? {
        guard watermarks[channel] != nil, reads[channel] == nil else { return nil }
        return startRead(channel, kind: .replay(announcesEnd: false))
    }

    /// Stops following `channel` (it could not be re-joined); live frames that waited are given back.
    package mutating func forget(_ channel: String) -> [Output] {
        watermarks[channel] = nil
        return reads.removeValue(forKey: channel)?.waiting.map(Output.live) ?? []
    }

    /// A live `channel_msg`: printed now, or held until the read of its channel ends.
    package mutating func receive(_ message: LiveMessage) -> Step {
        // The channel is looked up once: this runs for every live message.
        guard let index = watermarks.index(forKey: message.channel) else { return Step(outputs: [.live(message)]) }
        if reads[message.channel] != nil {
            reads[message.channel]?.waiting.append(message)
            return Step()
        }
        watermarks.values[index].accounted.insert(message.key)
        var step = Step()
        step.append(.live(message), position: tracksPositions ? watermarks.values[index] : nil)
        if watermarks.values[index].accounted.count > checkpointThreshold {
            step.request = startRead(message.channel, kind: .replay(announcesEnd: false))
        }
        return step
    }

    /// One `history` page of `channel`'s read.
    package mutating func receivePage(_ channel: String, rows page: [HistoryMessage]) -> Step {
        // Taken out of `reads` while it changes: left there, its rows and multisets would be copied for every page.
        guard var read = reads.removeValue(forKey: channel) else { return Step() }
        let first = read.pager.rows.count
        let more = read.pager.receive(page)
        var step = Step()
        for index in first..<read.pager.rows.count {
            let row = read.pager.rows[index]
            let key = MessageKey(from: row.from, payload: row.payload)
            // Only a position needs the rows at the newest timestamp.
            if tracksPositions { read.pass(row, key: key) }
            if read.expected.remove(key) { continue }
            read.freshRows.append(index)
            if case .replay = read.kind, let watermark = watermarks[channel] {
                let position = tracksPositions ? read.position(from: watermark) : nil
                step.append(.row(channel: channel, row), position: position)
            }
        }
        if more {
            reads[channel] = read
            step.request = read.pager.request
            return step
        }
        finish(read, channel: channel, into: &step)
        return step
    }

    private mutating func startRead(_ channel: String, kind: ReadKind) -> ProtocolMessage {
        let watermark = watermarks[channel] ?? ChannelWatermark(sinceMs: 0)
        let pager = HistoryPager(channel: channel, sinceMs: watermark.sinceMs)
        reads[channel] = Read(pager: pager, kind: kind, expected: watermark.accounted)
        return pager.request
    }

    /// The last page came: the watermark moves to the newest row, then the waiting live frames are matched.
    private mutating func finish(_ read: Read, channel: String, into step: inout Step) {
        guard var watermark = watermarks[channel] else { return }
        if let newest = read.pager.rows.map(\.tsMs).max() {
            watermark.sinceMs = newest - 1
            // Emptied rather than replaced: it keeps room for the messages up to the next checkpoint.
            watermark.accounted.removeAll()
            for row in read.pager.rows where row.tsMs == newest {
                watermark.accounted.insert(MessageKey(from: row.from, payload: row.payload))
            }
        }
        if case .replay(announcesEnd: true) = read.kind {
            let tsMs = watermark.sinceMs + (read.pager.rows.isEmpty ? 0 : 1)
            step.append(.historyEnd(channel: channel, tsMs: tsMs), position: nil)
        }
        var fresh = read.waiting.isEmpty ? MessageMultiset() : MessageMultiset(read.freshRows.map {
            MessageKey(from: read.pager.rows[$0].from, payload: read.pager.rows[$0].payload)
        })
        for message in read.waiting {
            let isRow = fresh.remove(message.key)
            // A replayed row was printed already; a baseline row was not, and the watermark is past it already,
            // so no position is saved after it.
            if case .replay = read.kind, isRow { continue }
            if !isRow { watermark.accounted.insert(message.key) }
            step.append(.live(message), position: isRow || !tracksPositions ? nil : watermark)
        }
        watermarks[channel] = watermark
    }
}
