import ConclaveWire

/// What a channel message is matched on between history and live traffic: live frames carry no id and no
/// server time (PROTOCOL.md §6.5), so a message is its sender and payload, counted as often as it was sent.
package struct MessageKey: Hashable, Sendable {
    package var from: SessionPath
    package var payload: Payload

    package init(from: SessionPath, payload: Payload) {
        self.from = from
        self.payload = payload
    }
}

/// A multiset of `MessageKey`s: the same text posted twice by one sender is two entries.
///
/// Keys wait in the order inserted and are hashed only when that order does not serve: the live messages a
/// follower printed come back as the rows of its next read in the same order, so each row is matched by
/// comparing it with the oldest key not yet matched. Hashing every message twice (in, then out) was a good part
/// of the CPU time of a long follow.
package struct MessageMultiset: Hashable, Sendable {
    /// Keys not hashed yet, oldest first; those before `queueStart` were removed.
    private var queue: [MessageKey] = []
    private var queueStart = 0
    /// The other entries, with how many times each is there.
    private var counts: [MessageKey: Int] = [:]
    /// The number of entries, duplicates included.
    package private(set) var count = 0

    package init() {}

    package init(_ keys: some Sequence<MessageKey>) {
        for key in keys { insert(key) }
    }

    package mutating func insert(_ key: MessageKey) {
        queue.append(key)
        count += 1
    }

    /// Each distinct key with how many times it is there, in no particular order.
    package var entries: [MessageKey: Int] {
        var entries = counts
        for key in queue[queueStart...] { entries[key, default: 0] += 1 }
        return entries
    }

    package mutating func formUnion(_ other: MessageMultiset) {
        queue += other.queue[other.queueStart...]
        for (key, count) in other.counts { counts[key, default: 0] += count }
        count += other.count
    }

    /// Removes one entry equal to `key`; false when there is none.
    package mutating func remove(_ key: MessageKey) -> Bool {
        // Not hashed when empty either: a replay from scratch asks for every row.
        guard count > 0 else { return false }
        if queueStart < queue.count, queue[queueStart] == key {
            queueStart += 1
            count -= 1
            return true
        }
        hashQueue()
        guard let index = counts.index(forKey: key) else { return false }
        if counts.values[index] > 1 {
            counts.values[index] -= 1
        } else {
            counts.remove(at: index)
        }
        count -= 1
        return true
    }

    /// Removes every entry, keeping the storage for as many as there were: a watermark fills up again.
    package mutating func removeAll() {
        queue.removeAll(keepingCapacity: true)
        queueStart = 0
        counts.removeAll(keepingCapacity: true)
        count = 0
    }

    /// Moves the waiting keys into `counts`, for a key that is not the oldest of them.
    private mutating func hashQueue() {
        guard queueStart < queue.count else { return }
        for key in queue[queueStart...] { counts[key, default: 0] += 1 }
        queue = []
        queueStart = 0
    }

    /// Equal when they hold the same keys as often, in whatever order they were inserted.
    package static func == (lhs: MessageMultiset, rhs: MessageMultiset) -> Bool {
        lhs.count == rhs.count && lhs.entries == rhs.entries
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(entries)
    }
}
