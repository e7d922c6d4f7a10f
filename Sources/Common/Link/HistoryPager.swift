import ConclaveWire

/// Reads a channel's history in pages (PROTOCOL.md §6.5): a page is followed by a request from its last
/// `ts_ms − 1`, since the watermark is exclusive and rows sharing the last timestamp could be skipped;
/// the overlap is dropped as duplicates on (from, ts_ms, payload). Only the overlap: two rows alike in all
/// three within one page are two messages (the same text posted twice in one millisecond).
///
/// A short page is not taken as the last: a server may end a page early rather than send a frame over 16 MiB
/// (§6.5 allows a shorter page; conclave-serve does it), so the read ends only at a page that brings no row it
/// had not already read. That costs one more request at the end of a read.
package struct HistoryPager: Sendable {
    private struct RowKey: Hashable {
        var from: SessionPath
        var tsMs: Int64
        var payload: Payload
    }

    package let channel: String
    /// The watermark of the request in flight.
    package private(set) var sinceMs: Int64
    /// Every row read so far, oldest first, without duplicates.
    package private(set) var rows: [HistoryMessage] = []
    /// The rows already read that the next page repeats (those after its watermark), as a multiset.
    private var overlap: [RowKey: Int] = [:]
    /// The newest `ts_ms` in `overlap`: a row after it is none of them, and is taken without hashing it.
    private var overlapNewestTsMs = Int64.min

    package init(channel: String, sinceMs: Int64) {
        self.channel = channel
        self.sinceMs = sinceMs
    }

    /// The request for the current page.
    package var request: ProtocolMessage { .readSince(channel: channel, sinceMs: sinceMs) }

    /// Takes one page; returns true when another page must be read (then send `request` again).
    package mutating func receive(_ page: [HistoryMessage]) -> Bool {
        var added = 0
        for row in page {
            let key = RowKey(from: row.from, tsMs: row.tsMs, payload: row.payload)
            if row.tsMs <= overlapNewestTsMs, let count = overlap[key], count > 0 {
                overlap[key] = count - 1
            } else {
                rows.append(row)
                added += 1
            }
        }
        guard added > 0, let last = page.last else { return false }
        let (previous, underflow) = last.tsMs.subtractingReportingOverflow(1)
        // A page of one timestamp would be asked for again forever: move past it instead.
        let next = !underflow && previous > sinceMs ? previous : last.tsMs
        guard next > sinceMs else { return false }
        sinceMs = next
        overlap = [:]
        overlapNewestTsMs = Int64.min
        for row in rows.reversed() {
            guard row.tsMs > next else { break }
            overlap[RowKey(from: row.from, tsMs: row.tsMs, payload: row.payload), default: 0] += 1
            overlapNewestTsMs = max(overlapNewestTsMs, row.tsMs)
        }
        return true
    }
}
