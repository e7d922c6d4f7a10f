/// Which clients hold which channels, so that clients sharing one link through `--socket` do not leave a
/// channel under each other's feet (TOOLS.md "--socket"): the server-side `leave` goes out only when the last
/// holder leaves or disconnects.
///
/// A join counts from the moment it is sent (and is withdrawn if refused), so a `leave` racing an outstanding
/// `join` of another client does not unsubscribe the session under it.
package struct JoinLedger: Hashable, Sendable {
    /// What to do with a client's `leave`.
    package enum LeaveDecision: Hashable, Sendable {
        /// Send it to the server: nobody else holds the channel.
        case forward
        /// Others still hold the channel: answer `ack {detail: channel}` locally, send nothing.
        case answerLocally
    }

    private var holders: [String: Set<ConnectClientID>] = [:]

    package init() {}

    /// The clients holding `channel` (joined, or join outstanding).
    package func holders(of channel: String) -> Set<ConnectClientID> { holders[channel] ?? [] }

    /// The channels `client` holds, sorted.
    package func channels(heldBy client: ConnectClientID) -> [String] {
        holders.filter { $0.value.contains(client) }.keys.sorted()
    }

    /// `client` sent a `join`.
    package mutating func recordJoinRequested(_ channel: String, by client: ConnectClientID) {
        holders[channel, default: []].insert(client)
    }

    /// The server refused `client`'s join (or no reply will come).
    package mutating func recordJoinFailed(_ channel: String, by client: ConnectClientID) {
        release(channel, by: client)
    }

    /// `client` asks to leave `channel`.
    package mutating func leave(_ channel: String, by client: ConnectClientID) -> LeaveDecision {
        guard var current = holders[channel], !current.isEmpty else { return .forward }
        current.remove(client)
        guard current.isEmpty else {
            holders[channel] = current
            return .answerLocally
        }
        holders[channel] = nil
        return .forward
    }

    /// `client` went away; returns the channels nobody holds any more, which must be left on the server.
    package mutating func removeClient(_ client: ConnectClientID) -> [String] {
        var abandoned: [String] = []
        for channel in channels(heldBy: client) {
            release(channel, by: client)
            if holders[channel] == nil { abandoned.append(channel) }
        }
        return abandoned
    }

    /// The link forgot `channel` (its re-join failed): nobody holds it any more.
    package mutating func forget(_ channel: String) {
        holders[channel] = nil
    }

    private mutating func release(_ channel: String, by client: ConnectClientID) {
        holders[channel]?.remove(client)
        if holders[channel]?.isEmpty == true { holders[channel] = nil }
    }
}
