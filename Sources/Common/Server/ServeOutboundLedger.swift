/// Tells which of one connection's queued frames the transport has written, from how many bytes its queue
/// still holds, so that the dispatch core's per-connection bound (frames and bytes) is released as frames
/// leave.
///
/// The transport's queue may hold bytes that are not frames of ours (the 101 response, pongs, the Close), so
/// every byte still queued is taken to be ours: a frame is reported written only once that is certain. The
/// count is exact whenever the queue is empty, and never early.
struct ServeOutboundLedger {
    private struct Entry {
        /// The frame's size on the wire: the WebSocket header and the message.
        var wireBytes: Int
        /// The size the core counted: the encoded message alone.
        var countedBytes: Int
    }

    private var entries: [Entry] = []
    private var head = 0
    private var unsettledWireBytes = 0

    /// Whether every frame recorded has been reported.
    var isEmpty: Bool { head == entries.count }

    /// Records one frame queued on the transport: `wireBytes` with its WebSocket header, `countedBytes` as the
    /// core counted it.
    mutating func append(wireBytes: Int, countedBytes: Int) {
        entries.append(Entry(wireBytes: wireBytes, countedBytes: countedBytes))
        unsettledWireBytes += wireBytes
    }

    /// The frames (and the bytes the core counted for them) now certainly written, given that the transport
    /// still holds `pendingBytes`. They are forgotten here, so each is reported once.
    mutating func settle(pendingBytes: Int) -> (frames: Int, bytes: Int) {
        var written = unsettledWireBytes - pendingBytes
        var frames = 0
        var bytes = 0
        while head < entries.count, entries[head].wireBytes <= written {
            let entry = entries[head]
            written -= entry.wireBytes
            unsettledWireBytes -= entry.wireBytes
            frames += 1
            bytes += entry.countedBytes
            head += 1
        }
        if head == entries.count {
            entries.removeAll(keepingCapacity: entries.capacity <= 64)
            head = 0
        } else if head > 64 && head * 2 > entries.count {
            entries.removeFirst(head)
            head = 0
        }
        return (frames, bytes)
    }
}
