/// What the instances of one deployment share besides the durable state (issue 16): who is online on which
/// instance and subscribed to what, the events one instance owes the others, and the message log they follow.
///
/// A single server has none (its sessions live in its memory); several `conclave-serve` on one PostgreSQL have
/// one each. Calls are synchronous, from the server's event-loop thread, like ``ServerStore``'s. Paths are in
/// their text form (`user/machine/session`).
package protocol ClusterDirectory: AnyObject {
    /// This instance's id for this run: it owns the presence rows of its sessions.
    var instance: String { get }
    /// Readable when another instance has published something: the event loop watches it and then calls
    /// ``takeNotifications()``. It changes (or is -1) after a failure; the descriptor it replaces stays open
    /// until the next ``heartbeat(sessions:)``, so the loop can stop watching it first.
    var notificationDescriptor: Int32 { get }

    /// Tells the others this instance is alive (times are the database's, so instances' clocks need not
    /// agree); re-registers it, with `sessions` and their subscriptions, if another instance took it for dead
    /// and removed its presence.
    func heartbeat(sessions: () -> [ClusterSession]) throws(StoreError)
    /// Removes every instance silent for `milliseconds`, with its presence: a killed instance leaves no ghosts.
    /// Returns how many were removed.
    func removeInstances(silentForMs milliseconds: Int64) throws(StoreError) -> Int
    /// Removes this instance and its presence (shutdown).
    func leave() throws(StoreError)

    // MARK: Presence

    /// Takes `path` for a session of this instance. Returns its generation (newer sessions have larger ones),
    /// and the instance that held it before, if another one did.
    func claim(_ path: String) throws(StoreError) -> (generation: Int64, previousInstance: String?)
    /// Forgets the session, unless a newer one has claimed its path since.
    func release(_ path: String, generation: Int64) throws(StoreError)
    func subscribe(_ path: String, generation: Int64, to channel: String) throws(StoreError)
    func unsubscribe(_ path: String, from channel: String) throws(StoreError)
    /// Every online session's subscription to `channel` whose user is `user` ends (kick, ban, ACL removal).
    func unsubscribe(user: String, from channel: String) throws(StoreError)
    func unsubscribeAll(from channel: String) throws(StoreError)
    /// Every online session of `user` (on `machine`, when given) leaves presence (user and machine removal).
    func removePresence(ofUser user: String, machine: String?) throws(StoreError)
    func moveSubscriptions(from channel: String, to newName: String) throws(StoreError)
    /// Every online path, in no order.
    func onlinePaths() throws(StoreError) -> [String]
    /// Every online path subscribed to `channel`, in no order.
    func subscribers(of channel: String) throws(StoreError) -> [String]
    /// The instance holding `path`, or `nil` when no session is online there.
    func instance(holding path: String) throws(StoreError) -> String?

    // MARK: Events and the message log

    /// Queues `event` (opaque bytes) for `target`, or for every other instance when `nil`; it is delivered in
    /// publication order, once the call returns.
    func publish(_ event: [UInt8], to target: String?) throws(StoreError)
    /// Drains the notification socket. True when something was published since the last call.
    func takeNotifications() throws(StoreError) -> Bool
    /// Asks the database, not the notifications, whether either log has entries this instance has not seen:
    /// one cheap query, so that a request never overtakes what was acknowledged elsewhere before it was sent.
    func hasUnseenEntries() throws(StoreError) -> Bool
    /// The events for this instance published since the last call, oldest first, up to the last one this instance
    /// has learnt of (from ``takeNotifications()`` or ``hasUnseenEntries()``).
    func newEvents() throws(StoreError) -> [[UInt8]]
    /// Messages other instances stored ordered before this instance's last ``ServerStore/appendMessages(_:)``,
    /// which are to be delivered ahead of it; the cursor then moves past that append.
    func newMessagesBeforeOwnAppend() throws(StoreError) -> [MessageRecord]
    /// At most `limit` messages other instances stored after the cursor, in the log's order, up to the last one
    /// this instance has learnt of (from ``takeNotifications()`` or ``hasUnseenEntries()``).
    func newMessages(atMost limit: Int) throws(StoreError) -> [MessageRecord]
    /// Whether messages this instance has learnt of are still to be read (a ``newMessages(atMost:)`` left them).
    var hasUnreadMessages: Bool { get }
    /// Messages other instances stored after the cursor up to and including number `last`, in the log's order; the
    /// cursor moves to `last` if it was before it.
    func newMessages(through last: Int64) throws(StoreError) -> [MessageRecord]
    /// The number in the message log up to which this instance stored or read every message.
    var messagePosition: Int64 { get }
}

/// One session of this instance as the directory records it.
package struct ClusterSession: Hashable, Sendable {
    package var path: String
    package var generation: Int64
    package var channels: Set<String>

    package init(path: String, generation: Int64, channels: Set<String>) {
        self.path = path
        self.generation = generation
        self.channels = channels
    }
}
