/// The ``ClusterDirectory`` of instances sharing one PostgreSQL database (issue 16): presence and subscriptions
/// in tables, events in a log table, and `LISTEN`/`NOTIFY` to wake the others, so an operator runs nothing else.
///
/// Events and messages carry gap-free sequence numbers, assigned under a one-row counter whose row lock
/// serialises writers and whose update rolls back with a failed transaction. Every number up to the counter's
/// committed value is therefore committed, and an instance follows each log with a cursor: read the counter,
/// then the rows between the cursor and it. Notifications only wake it; a lost one costs nothing but time, as
/// the heartbeat catches up too.
package final class PostgresCluster: ClusterDirectory {
    package let instance: String
    private let store: PostgresStore
    private let url: String
    /// The `LISTEN`ing connection; `nil` after it failed, until the heartbeat reconnects it.
    private var listener: PostgresConnection?
    /// A listener that failed, kept open until the next heartbeat: the event loop stops watching its descriptor
    /// first, so that the number is not reused under a registration.
    private var failedListener: PostgresConnection?
    private var eventCursor: Int64 = 0
    private var messageCursor: Int64 = 0
    /// The highest numbers this instance has learnt of, from a notification's payload or from the counters
    /// themselves: what the next ``newEvents()`` and ``newMessages(atMost:)`` read up to, so that a
    /// notification costs one query, not three.
    private var knownLastEvent: Int64 = 0
    private var knownLastMessage: Int64 = 0

    static let eventChannel = "conclave_events"

    /// Joins the deployment on `store`'s database as `instance`, a fresh id for this run: registers it and
    /// starts both cursors at the logs' ends (a new instance owes nobody anything older).
    package init(store: PostgresStore, url: String, instance: String) throws(StoreError) {
        self.store = store
        self.url = url
        self.instance = instance
        store.origin = instance
        store.stampsFollowSequence = true
        try queries.execute("INSERT INTO cluster_instances (id) VALUES ($1)", [.text(instance)])
        listener = try Self.listen(url)
        eventCursor = try lastEvent()
        messageCursor = try store.lastSequence()
        knownLastEvent = eventCursor
        knownLastMessage = messageCursor
    }

    private var queries: PostgresConnection { store.connection }

    package var notificationDescriptor: Int32 { listener?.socketDescriptor ?? -1 }

    private static func listen(_ url: String) throws(StoreError) -> PostgresConnection {
        let connection = try PostgresConnection(url: url)
        try connection.execute("LISTEN \(eventChannel)")
        try connection.execute("LISTEN \(PostgresStore.notificationChannel)")
        return connection
    }

    // MARK: Liveness

    package func heartbeat(sessions: () -> [ClusterSession]) throws(StoreError) {
        failedListener = nil
        if listener == nil { listener = try Self.listen(url) }
        let beat = try queries.execute("UPDATE cluster_instances SET seen_at = now() WHERE id = $1", [.text(instance)])
        guard beat.affectedRows == 0 else { return }
        // Taken for dead while alive (a stall, a lost connection): come back with every session.
        try queries.transaction { () throws(StoreError) in
            try queries.execute("INSERT INTO cluster_instances (id) VALUES ($1)", [.text(instance)])
            for session in sessions() {
                let claimed = try queries.execute(
                    "INSERT INTO cluster_presence (path, username, machine, instance, generation) "
                        + "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (path) DO NOTHING",
                    [.name(session.path), .name(Self.user(of: session.path)), .name(Self.machine(of: session.path)),
                     .text(instance), .integer(session.generation)])
                guard claimed.affectedRows == 1 else { continue }
                for channel in session.channels {
                    try insertSubscription(session.path, to: channel)
                }
            }
        }
    }

    package func removeInstances(silentForMs milliseconds: Int64) throws(StoreError) -> Int {
        let removed = try queries.execute(
            "DELETE FROM cluster_instances WHERE id <> $1 AND seen_at < now() - $2 * interval '1 millisecond'",
            [.text(instance), .integer(milliseconds)])
        // Every instance has read an event within the timeout, or is gone.
        try queries.execute(
            "DELETE FROM cluster_events WHERE created_at < now() - $1 * interval '1 millisecond'",
            [.integer(milliseconds * 3)])
        return removed.affectedRows
    }

    package func leave() throws(StoreError) {
        try queries.execute("DELETE FROM cluster_instances WHERE id = $1", [.text(instance)])
    }

    // MARK: Presence

    package func claim(_ path: String) throws(StoreError) -> (generation: Int64, previousInstance: String?) {
        let parameters: [PostgresValue?] = [
            .name(path), .name(Self.user(of: path)), .name(Self.machine(of: path)), .text(instance),
        ]
        return try queries.transaction { () throws(StoreError) in
            // Insert first: a `SELECT … FOR UPDATE` of a path nobody holds locks nothing, so two claims at once
            // would each see no holder. Of two inserts at once, one waits for the other and then finds its row.
            for _ in 0..<3 {
                let inserted = try queries.execute(
                    "INSERT INTO cluster_presence (path, username, machine, instance, generation) "
                        + "VALUES ($1, $2, $3, $4, nextval('cluster_generation')) ON CONFLICT (path) DO NOTHING "
                        + "RETURNING generation", parameters)
                if !inserted.isEmpty { return (inserted[0].integer(0), nil) }
                let previous = try queries.execute(
                    "SELECT instance FROM cluster_presence WHERE path = $1 FOR UPDATE", [.name(path)])
                // Released between the two statements: insert again.
                guard !previous.isEmpty else { continue }
                // The subscriptions were the superseded session's.
                try queries.execute("DELETE FROM cluster_subscriptions WHERE path = $1", [.name(path)])
                let claimed = try queries.execute(
                    "UPDATE cluster_presence SET instance = $2, generation = nextval('cluster_generation') "
                        + "WHERE path = $1 RETURNING generation", [.name(path), .text(instance)])
                return (claimed[0].integer(0), previous[0].text(0))
            }
            throw StoreError(.engine, "could not claim \(path): it was taken and released three times at once")
        }
    }

    package func release(_ path: String, generation: Int64) throws(StoreError) {
        try queries.execute(
            "DELETE FROM cluster_presence WHERE path = $1 AND generation = $2", [.name(path), .integer(generation)])
    }

    package func subscribe(_ path: String, generation: Int64, to channel: String) throws(StoreError) {
        try queries.execute(
            "INSERT INTO cluster_subscriptions (path, channel, username) SELECT $1, $2, $3 "
                + "WHERE EXISTS (SELECT 1 FROM cluster_presence WHERE path = $1 AND generation = $4) "
                + "ON CONFLICT DO NOTHING",
            [.name(path), .name(channel), .name(Self.user(of: path)), .integer(generation)])
    }

    private func insertSubscription(_ path: String, to channel: String) throws(StoreError) {
        try queries.execute(
            "INSERT INTO cluster_subscriptions (path, channel, username) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            [.name(path), .name(channel), .name(Self.user(of: path))])
    }

    package func unsubscribe(_ path: String, from channel: String) throws(StoreError) {
        try queries.execute(
            "DELETE FROM cluster_subscriptions WHERE path = $1 AND channel = $2", [.name(path), .name(channel)])
    }

    package func unsubscribe(user: String, from channel: String) throws(StoreError) {
        try queries.execute(
            "DELETE FROM cluster_subscriptions WHERE username = $1 AND channel = $2", [.name(user), .name(channel)])
    }

    package func unsubscribeAll(from channel: String) throws(StoreError) {
        try queries.execute("DELETE FROM cluster_subscriptions WHERE channel = $1", [.name(channel)])
    }

    package func removePresence(ofUser user: String, machine: String?) throws(StoreError) {
        try queries.execute(
            "DELETE FROM cluster_presence WHERE username = $1 AND ($2::bytea IS NULL OR machine = $2)",
            [.name(user), machine.map { .name($0) }])
    }

    package func moveSubscriptions(from channel: String, to newName: String) throws(StoreError) {
        try queries.execute(
            "UPDATE cluster_subscriptions SET channel = $2 WHERE channel = $1", [.name(channel), .name(newName)])
    }

    package func onlinePaths() throws(StoreError) -> [String] {
        try queries.execute("SELECT path FROM cluster_presence").map { $0.text(0) }
    }

    package func subscribers(of channel: String) throws(StoreError) -> [String] {
        try queries.execute("SELECT path FROM cluster_subscriptions WHERE channel = $1", [.name(channel)])
            .map { $0.text(0) }
    }

    package func instance(holding path: String) throws(StoreError) -> String? {
        let rows = try queries.execute("SELECT instance FROM cluster_presence WHERE path = $1", [.name(path)])
        return rows.isEmpty ? nil : rows[0].text(0)
    }

    /// A path's user: the text before the first `/` (names contain none).
    private static func user(of path: String) -> String {
        String(path.prefix { $0 != "/" })
    }

    /// A path's machine: the text between the first and the second `/`.
    private static func machine(of path: String) -> String {
        String(path.drop { $0 != "/" }.dropFirst().prefix { $0 != "/" })
    }

    // MARK: Events and the message log

    package func publish(_ event: [UInt8], to target: String?) throws(StoreError) {
        // One statement, so one transaction: the number, the row and the notification commit together.
        try queries.execute(
            "WITH numbered AS (UPDATE cluster_event_sequence SET last = last + 1 RETURNING last), "
                + "logged AS (INSERT INTO cluster_events (seq, origin, target, body) "
                + "SELECT last, $1, $2, $3 FROM numbered RETURNING seq) "
                + "SELECT pg_notify('\(Self.eventChannel)', seq::text) FROM logged",
            [.text(instance), target.map { .text($0) }, .bytes(event)])
    }

    package func takeNotifications() throws(StoreError) -> Bool {
        guard let listener else { return false }
        let notifications: [PostgresNotification]
        do {
            notifications = try listener.takeNotifications()
        } catch {
            // The heartbeat reconnects and catches up; until then the loop must stop watching a dead socket.
            failedListener = listener
            self.listener = nil
            throw error
        }
        for notification in notifications {
            // Every payload is a number this build sent; anything else sends it to the counters.
            guard let number = Int64(notification.payload) else { return try hasUnseenEntries() }
            if notification.channel == Self.eventChannel {
                knownLastEvent = max(knownLastEvent, number)
            } else {
                knownLastMessage = max(knownLastMessage, number)
            }
        }
        return knownLastEvent > eventCursor || knownLastMessage > messageCursor
    }

    package func hasUnseenEntries() throws(StoreError) -> Bool {
        let counters = try queries.execute(
            "SELECT (SELECT last FROM cluster_event_sequence), (SELECT last FROM message_sequence)")
        knownLastEvent = max(knownLastEvent, counters[0].integer(0))
        knownLastMessage = max(knownLastMessage, counters[0].integer(1))
        return knownLastEvent > eventCursor || knownLastMessage > messageCursor
    }

    package func newEvents() throws(StoreError) -> [[UInt8]] {
        let last = knownLastEvent
        guard last > eventCursor else { return [] }
        let rows = try queries.execute(
            "SELECT body FROM cluster_events WHERE seq > $1 AND seq <= $2 AND origin <> $3 "
                + "AND (target IS NULL OR target = $3) ORDER BY seq",
            [.integer(eventCursor), .integer(last), .text(instance)])
        eventCursor = last
        return rows.map { $0.bytes(0) }
    }

    package func newMessagesBeforeOwnAppend() throws(StoreError) -> [MessageRecord] {
        // Asked twice for one append, the cursor is already past it: nothing comes twice.
        guard let append = store.lastAppendedSequences else { return [] }
        // The usual case, one instance posting: nothing came between, so no query.
        let rows = append.lowerBound - 1 > messageCursor
            ? try messages(after: messageCursor, through: append.lowerBound - 1)
            : []
        messageCursor = max(messageCursor, append.upperBound)
        knownLastMessage = max(knownLastMessage, messageCursor)
        return rows
    }

    package func newMessages(atMost limit: Int) throws(StoreError) -> [MessageRecord] {
        let (last, overflow) = messageCursor.addingReportingOverflow(Int64(clamping: limit))
        return try newMessages(through: overflow ? knownLastMessage : min(knownLastMessage, last))
    }

    package var hasUnreadMessages: Bool { knownLastMessage > messageCursor }

    package func newMessages(through last: Int64) throws(StoreError) -> [MessageRecord] {
        knownLastMessage = max(knownLastMessage, last)
        guard last > messageCursor else { return [] }
        let rows = try messages(after: messageCursor, through: last)
        messageCursor = last
        return rows
    }

    package var messagePosition: Int64 { messageCursor }

    /// Other instances' messages numbered in `sequence + 1 ... last`, in order.
    private func messages(after sequence: Int64, through last: Int64) throws(StoreError) -> [MessageRecord] {
        try store.messages(afterSequence: sequence, limit: Int(clamping: last - sequence))
            .filter { $0.sequence <= last && $0.origin != instance }.map(\.record)
    }

    private func lastEvent() throws(StoreError) -> Int64 {
        try queries.execute("SELECT last FROM cluster_event_sequence")[0].integer(0)
    }
}
