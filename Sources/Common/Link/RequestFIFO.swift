import ConclaveWire

/// The requests outstanding on one connection, oldest first (PROTOCOL.md §7.2). Each server frame is
/// classified by `ServerFrameRole`; a reply completes the head.
struct RequestFIFO<Entry> {
    /// What one server frame means for the FIFO.
    enum Outcome {
        /// The frame answers `entry`, which has left the FIFO.
        case reply(Entry)
        case pong
        case serverInfo
        case delivery
        case unsolicitedError
        case unexpected
    }

    private var entries: [Entry] = []
    private var head = 0
    /// Entries appended and completed since the FIFO was last emptied by `removeAll` (one connection).
    private(set) var appendedCount = 0
    private(set) var completedCount = 0

    var count: Int { entries.count - head }
    var isEmpty: Bool { count == 0 }

    /// The entries still waiting, oldest first.
    var outstanding: ArraySlice<Entry> { entries[head...] }

    /// A request was written; its reply is the next frame that is a reply after those of earlier entries.
    mutating func append(_ entry: Entry) {
        entries.append(entry)
        appendedCount += 1
    }

    /// Whether the first `mark` entries ever appended (an earlier `appendedCount`) have all been answered.
    /// The server answers every frame in order (§6.3), so a `pong` for a ping written at `mark` proves those
    /// replies were sent; if they were not all seen, the server skipped one and the FIFO is out of step.
    func hasCompleted(upTo mark: Int) -> Bool {
        completedCount >= mark
    }

    /// Classifies `frame` and, when it is a reply, removes and returns the entry it answers.
    mutating func receive(_ frame: ProtocolMessage) -> Outcome {
        switch ServerFrameRole(of: frame, hasOutstandingRequests: !isEmpty) {
        case .pong: return .pong
        case .serverInfo: return .serverInfo
        case .delivery: return .delivery
        case .unsolicitedError: return .unsolicitedError
        case .unexpected: return .unexpected
        case .reply:
            let entry = entries[head]
            head += 1
            completedCount += 1
            if head == entries.count {
                entries.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 64 && head * 2 >= entries.count {
                entries.removeFirst(head)
                head = 0
            }
            return .reply(entry)
        }
    }

    /// Empties the FIFO (the connection is gone), returning what was outstanding, oldest first.
    mutating func removeAll() -> [Entry] {
        let remaining = Array(entries[head...])
        entries = []
        head = 0
        appendedCount = 0
        completedCount = 0
        return remaining
    }
}
