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
package struct MessageMultiset: Hashable, Sendable {
    private var counts: [MessageKey: Int] = [:]
    /// The number of entries, duplicates included.
    package private(set) var count = 0

    package init() {}

    package init(_ keys: some Sequence<MessageKey>) {
        for key in keys { insert(key) }
    }

    package mutating func insert(_ key: MessageKey) {
        counts[key, default: 0] += 1
        count += 1
    }

    /// Each distinct key with how many times it is there, in no particular order.
    package var entries: [MessageKey: Int] { counts }

    package mutating func formUnion(_ other: MessageMultiset) {
        for (key, count) in other.counts {
            counts[key, default: 0] += count
            self.count += count
        }
    }

    /// Removes one entry equal to `key`; false when there is none.
    package mutating func remove(_ key: MessageKey) -> Bool {
        guard let current = counts[key] else { return false }
        counts[key] = current > 1 ? current - 1 : nil
        count -= 1
        return true
    }
}
