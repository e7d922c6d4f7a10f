import ConclaveWire

/// Where a connection is in its life (PROTOCOL.md §5.3–5.4).
enum ConnectionPhase {
    case awaitingHello
    case awaitingCredentials(handle: String, nonce: [UInt8])
    case awaitingAuthAfterRegister(handle: String, nonce: [UInt8], registration: Registration)
    case established(SessionPath)
}

/// A `register` frame, held until the `auth` that proves it.
struct Registration {
    var username: String
    var machine: String
    var publicKey: [UInt8]
}

/// One accepted connection: its phase, its share of the outbound queue, and (once established) its
/// subscriptions. The core is single-threaded, so this is plain mutable state.
final class Connection {
    let id: ConnectionID
    var phase: ConnectionPhase = .awaitingHello
    /// Monotonic time of TCP accept; the handshake deadline counts from here.
    let openedAtMs: Int64
    /// Monotonic time of the last decoded inbound frame (§6.9).
    var lastSeenMs: Int64
    /// Frames and bytes sent to the I/O layer and not yet reported written.
    var queuedFrames = 0
    var queuedBytes = 0
    /// Which claim on its path this session holds among a deployment's instances (0 for a single server).
    var generation: Int64 = 0
    /// Channels this session is subscribed to (names as joined; renames move them).
    var subscriptions: Set<String> = []

    init(id: ConnectionID, openedAtMs: Int64) {
        self.id = id
        self.openedAtMs = openedAtMs
        self.lastSeenMs = openedAtMs
    }

    package var path: SessionPath? {
        if case let .established(path) = phase { path } else { nil }
    }
}

/// An insertion-ordered set with O(1) insert and remove (removal moves the last element into the gap),
/// so fan-out order is deterministic without sorting.
struct ConnectionList {
    private(set) var members: [Connection] = []
    private var positions: [ConnectionID: Int] = [:]

    var isEmpty: Bool { members.isEmpty }

    mutating func insert(_ connection: Connection) {
        guard positions[connection.id] == nil else { return }
        positions[connection.id] = members.count
        members.append(connection)
    }

    mutating func remove(_ connection: Connection) {
        guard let position = positions.removeValue(forKey: connection.id) else { return }
        let last = members.removeLast()
        if position < members.count {
            members[position] = last
            positions[last.id] = position
        }
    }
}

/// Live sessions by path and subscribers by channel (§6.1, in memory only).
struct SessionRegistry {
    private(set) var byPath: [SessionPath: Connection] = [:]
    private var subscribers: [String: ConnectionList] = [:]

    func session(at path: SessionPath) -> Connection? { byPath[path] }

    /// Every live session of `user` (any machine, any handle).
    func sessions(ofUser user: String) -> [Connection] {
        byPath.values.filter { $0.path?.user == user }
    }

    func subscribers(of channel: String) -> [Connection] { subscribers[channel]?.members ?? [] }

    mutating func attach(_ connection: Connection, at path: SessionPath) {
        byPath[path] = connection
    }

    /// Removes the session from presence and from every channel it was subscribed to.
    mutating func detach(_ connection: Connection) {
        if let path = connection.path, byPath[path] === connection { byPath[path] = nil }
        for channel in connection.subscriptions { unsubscribe(connection, from: channel) }
    }

    mutating func subscribe(_ connection: Connection, to channel: String) {
        connection.subscriptions.insert(channel)
        subscribers[channel, default: ConnectionList()].insert(connection)
    }

    mutating func unsubscribe(_ connection: Connection, from channel: String) {
        connection.subscriptions.remove(channel)
        subscribers[channel]?.remove(connection)
        if subscribers[channel]?.isEmpty == true { subscribers[channel] = nil }
    }

    /// Silently unsubscribes everyone (`delete_channel`, channels removed with their creator).
    mutating func unsubscribeAll(from channel: String) {
        for connection in subscribers(of: channel) { connection.subscriptions.remove(channel) }
        subscribers[channel] = nil
    }

    /// Moves every live subscription of `channel` to `newName` (`rename_channel`).
    mutating func moveSubscriptions(from channel: String, to newName: String) {
        for connection in subscribers(of: channel) {
            unsubscribe(connection, from: channel)
            subscribe(connection, to: newName)
        }
    }
}
