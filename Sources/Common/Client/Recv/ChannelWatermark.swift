/// Where a follower stands on one channel, in the server's clock (PROTOCOL.md §7.8, made exact): the next
/// catch-up reads the rows after `sinceMs`, and of those, the ones in `accounted` were printed (or skipped on
/// purpose) already. Everything a saved position needs, so `--cursor` can store and restore it.
package struct ChannelWatermark: Hashable, Sendable {
    /// The `since_ms` of the next `read_since`: one below the newest history row read, or the start.
    package var sinceMs: Int64
    /// The messages a read from `sinceMs` returns again: the rows at the newest timestamp read, and every live
    /// message printed since.
    package var accounted: MessageMultiset

    package init(sinceMs: Int64, accounted: MessageMultiset = MessageMultiset()) {
        self.sinceMs = sinceMs
        self.accounted = accounted
    }
}
