/// The back-pressure of a client tool's request pipeline: input read while too many requests wait for replies
/// is held here, in order, and reading pauses until the replies catch up.
///
/// A server drops a session whose outbound queue passes 1024 frames (replies and deliveries share it), so a
/// long pipeline must not run far ahead of its replies: above `maximumOutstanding` unanswered requests input
/// waits, and reading resumes once none wait and the replies have caught up by half.
package struct InputBacklog<Item> {
    /// Requests without a reply above which input waits.
    package static var maximumOutstanding: Int { 512 }

    private var items: [Item] = []
    private var head = 0

    package init() {}

    /// How many items wait.
    package var count: Int { items.count - head }

    /// True when no item waits.
    package var isEmpty: Bool { head == items.count }

    /// `item` itself when it may be processed now (nothing waits and there is room), else nil: it waits, and
    /// the caller pauses its inputs.
    package mutating func admit(_ item: Item, outstanding: Int) -> Item? {
        if isEmpty && outstanding < Self.maximumOutstanding { return item }
        items.append(item)
        return nil
    }

    /// The next waiting item when there is room for it, else nil.
    package mutating func next(outstanding: Int) -> Item? {
        guard !isEmpty, outstanding < Self.maximumOutstanding else { return nil }
        defer {
            head += 1
            if isEmpty { removeAll() }
        }
        return items[head]
    }

    /// Whether paused inputs may read again: none waits and the replies have caught up by half.
    package func allowsResuming(outstanding: Int) -> Bool {
        isEmpty && outstanding < Self.maximumOutstanding / 2
    }

    /// Drops the waiting items that match `predicate` (their client went away).
    package mutating func removeAll(where predicate: (Item) -> Bool) {
        items = items[head...].filter { !predicate($0) }
        head = 0
    }

    /// Drops every waiting item.
    package mutating func removeAll() {
        items = []
        head = 0
    }
}
