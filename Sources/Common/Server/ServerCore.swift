import ConclaveStore
import ConclaveWire

/// The server's dispatch core (PROTOCOL.md §5–6) as a sans-I/O state machine.
///
/// The I/O layer owns sockets and WebSocket framing. It feeds the core events (a connection accepted, a
/// decoded frame, bytes written, a peer gone, a timer tick) and carries out the returned actions in order.
/// The core is single-threaded: call it from one thread only. Call ``start()`` once before anything else.
///
/// Every frame the core queues goes through ``ServerAction/send(_:_:)`` and is counted against the
/// connection's bound (``ServerLimits/queueFrameLimit`` frames and ``ServerLimits/queueByteLimit`` bytes)
/// until the I/O layer reports it written with ``wrote(frames:bytes:on:)``, so the slow-consumer rule is
/// exact. A frame that would pass the bound is not queued: the session is dropped instead (§6.10, TOOLS.md).
/// The one `error` frame that explains a forced drop may exceed the bound by that single frame.
///
/// Posts are stored by group commit: their acks, their deliveries and whatever is queued after them come out
/// of ``commit()``, which the I/O layer calls at the end of every loop turn (see `GroupCommit.swift`).
///
/// An event loop drives it like this (`perform` carries out the actions in order):
///
/// ```swift
/// perform(core.start())
/// // TCP accept:               perform(core.connectionOpened(id))
/// // binary message decoded:   perform(core.received(frame, on: id))
/// // undecodable or > 16 MiB:  perform(core.receivedUndecodable(on: id))
/// // text message, WS ping:    nothing (they are not liveness, §2.2)
/// // frames written:           core.wrote(frames: n, bytes: b, on: id)
/// // peer gone, socket error:  perform(core.connectionClosed(id))
/// // at core.nextDeadlineMs:   perform(core.tick())
/// // end of every loop turn:   perform(core.commit())
/// // SIGTERM:                  perform(core.shutdown())
/// ```
package final class ServerCore {
    /// Only group commit calls it directly; everything else goes through `store`.
    let storage: any ServerStore
    /// The other instances of a deployment on PostgreSQL; `nil` for a single server (see `ServerCore+Cluster`).
    let cluster: (any ClusterDirectory)?
    let admins: AdminAllowlist
    let limits: ServerLimits
    let clock: ServerClock
    let random: ServerRandomSource
    let log: (ServerLogEvent) -> Void

    /// Counters for `/metrics`.
    package internal(set) var metrics = ServerMetrics()

    var connections: [ConnectionID: Connection] = [:]
    /// The subset still in the handshake, so deadline checks do not walk every session.
    var pendingHandshakes: [ConnectionID: Connection] = [:]
    var sessions = SessionRegistry()
    private var actions: [ServerAction] = []
    /// Posts waiting for the next group commit, and the output queued behind them (see `GroupCommit.swift`).
    var staged: [MessageRecord] = []
    var held: [HeldOutput] = []
    private var nextReapMs: Int64?
    private var nextRetentionSweepMs: Int64?
    private var nextHeartbeatMs: Int64?
    /// Whether this loop turn has caught up with the other instances (see `catchUpBeforeRequests`).
    var isCaughtUpThisTurn = false

    /// - Parameters:
    ///   - store: the durable state; called synchronously from the core's thread.
    ///   - cluster: what several instances share, when this is one of them.
    ///   - admins: the operator's server-admin allowlist (§6.12).
    ///   - limits: timers and queue bounds; the defaults are the spec's.
    ///   - clock: wall time for timestamps, monotonic time for deadlines.
    ///   - random: nonces and invite tokens.
    ///   - log: receives one event per loggable thing, on the core's thread.
    package init(
        store: any ServerStore,
        cluster: (any ClusterDirectory)? = nil,
        admins: AdminAllowlist = AdminAllowlist(),
        limits: ServerLimits = ServerLimits(),
        clock: ServerClock = .system,
        random: @escaping ServerRandomSource = secureRandomBytes,
        log: @escaping (ServerLogEvent) -> Void = { _ in }
    ) {
        storage = store
        self.cluster = cluster
        self.admins = admins
        self.limits = limits
        self.clock = clock
        self.random = random
        self.log = log
        metrics.outboundBudget = limits.outboundMemoryBudget
    }

    /// The store, once the staged posts are committed: a store call sees every post before it
    /// (read-your-writes) and never overtakes one.
    var store: any ServerStore {
        settle()
        return storage
    }

    // MARK: Inputs

    /// Runs the start-up retention sweep (§6.11) and starts the reaper's and the sweep's schedules.
    package func start() -> [ServerAction] {
        let now = clock.monotonicMs()
        sweepRetention()
        nextRetentionSweepMs = now + limits.retentionSweepIntervalMs
        nextReapMs = now + limits.reaperIntervalMs
        if cluster != nil { nextHeartbeatMs = now + limits.clusterHeartbeatIntervalMs }
        return takeActions()
    }

    /// A TCP connection was accepted; its handshake deadline starts now, or at `acceptedAtMs` (monotonic) when
    /// the I/O layer hears of it later, after the HTTP upgrade (TOOLS.md).
    package func connectionOpened(_ id: ConnectionID, acceptedAtMs: Int64? = nil) -> [ServerAction] {
        guard connections[id] == nil else { return [] }
        let connection = Connection(id: id, openedAtMs: acceptedAtMs ?? clock.monotonicMs())
        connections[id] = connection
        pendingHandshakes[id] = connection
        metrics.handshakesInProgress += 1
        log(.connectionOpened(id))
        return takeActions()
    }

    /// One decoded inbound frame. Frames for a connection the core has closed are ignored.
    package func received(_ frame: ProtocolMessage, on id: ConnectionID) -> [ServerAction] {
        guard let connection = connections[id] else { return [] }
        connection.lastSeenMs = clock.monotonicMs()
        metrics.framesIn[frame.typeName, default: 0] += 1
        if case .established = connection.phase {
            catchUpBeforeRequests()
            // What another instance decided may have ended this session (a supersede, a removal).
            guard connections[id] === connection, case let .established(path) = connection.phase else {
                return takeActions()
            }
            dispatch(frame, from: connection, at: path)
        } else {
            handshake(frame, on: connection)
        }
        return takeActions()
    }

    /// An inbound message that did not decode (or broke the size limit): the connection ends without an
    /// `error` frame (§2.2, §2.4).
    package func receivedUndecodable(on id: ConnectionID) -> [ServerAction] {
        guard let connection = connections[id] else { return [] }
        log(.undecodableFrame(id, path: connection.path))
        close(connection)
        return takeActions()
    }

    /// The I/O layer wrote `frames` queued frames totalling `bytes` encoded bytes to the connection.
    package func wrote(frames: Int, bytes: Int, on id: ConnectionID) {
        guard let connection = connections[id] else { return }
        connection.queuedFrames = max(0, connection.queuedFrames - frames)
        let freed = min(bytes, connection.queuedBytes)
        connection.queuedBytes -= freed
        metrics.outboundBytes -= freed
    }

    /// The peer closed (or the socket failed). The session leaves presence silently (§5.3: nothing recorded).
    package func connectionClosed(_ id: ConnectionID) -> [ServerAction] {
        guard let connection = connections[id] else { return [] }
        log(.connectionClosed(id, path: connection.path))
        forget(connection)
        return takeActions()
    }

    /// Runs whatever is due: handshake deadlines, the idle reaper (§6.9), the retention sweep (§6.11).
    package func tick() -> [ServerAction] {
        let now = clock.monotonicMs()
        for connection in pendingHandshakes.values {
            if now - connection.openedAtMs >= limits.handshakeTimeoutMs {
                refuseHandshake(connection, .unauthorized("handshake timed out"))
            }
        }
        if let due = nextReapMs, now >= due {
            reapIdleSessions(now: now)
            nextReapMs = now + limits.reaperIntervalMs
        }
        if let due = nextRetentionSweepMs, now >= due {
            sweepRetention()
            nextRetentionSweepMs = now + limits.retentionSweepIntervalMs
        }
        if let due = nextHeartbeatMs, now >= due {
            beatInCluster()
            nextHeartbeatMs = now + limits.clusterHeartbeatIntervalMs
        }
        return takeActions()
    }

    /// The monotonic time at which ``tick()`` next has work, so the I/O layer can sleep until then.
    package var nextDeadlineMs: Int64? {
        let handshakeDeadlines = pendingHandshakes.values.lazy.map { $0.openedAtMs + self.limits.handshakeTimeoutMs }
        return ([nextReapMs, nextRetentionSweepMs, nextHeartbeatMs].compactMap { $0 } + handshakeDeadlines).min()
    }

    /// Graceful shutdown: every session is dropped with "session terminated" and every handshake closed.
    package func shutdown() -> [ServerAction] {
        settle()
        for connection in connections.values {
            if connection.path != nil { drop(connection, .terminated) } else { close(connection) }
        }
        leaveCluster()
        return takeActions()
    }

    // MARK: Outbound queue

    /// Encodes `message` once (bincode, §3), for one recipient or many.
    func outbound(_ message: ProtocolMessage) -> OutboundFrame {
        OutboundFrame(message: message, bytes: message.encoded())
    }

    /// Queues a frame within the bound. A frame that does not fit drops the session as a slow consumer
    /// (§6.10; TOOLS.md: replies too, so no reply is ever lost silently). Returns whether it was queued.
    @discardableResult
    func send(_ frame: OutboundFrame, to connection: Connection) -> Bool {
        guard connections[connection.id] === connection else { return false }
        // Replies are fitted and posts refused at arrival, so only a stray frame can be here; it is not sent.
        guard frame.bytes.count <= ProtocolMessage.maximumEncodedSize else { return false }
        guard connection.queuedFrames < limits.queueFrameLimit,
              frame.bytes.count <= limits.queueByteLimit - connection.queuedBytes
        else {
            dropSlowConsumer(connection)
            return false
        }
        // One budget for every queue (--max-memory): the largest goes first, whoever it is.
        while frame.bytes.count > limits.outboundMemoryBudget - metrics.outboundBytes {
            guard let largest = connections.values.max(by: { $0.queuedBytes < $1.queuedBytes }),
                  largest.queuedBytes > 0
            else { break }
            metrics.budgetDrops += 1
            dropSlowConsumer(largest)
            if largest === connection { return false }
        }
        enqueue(frame, to: connection)
        return true
    }

    private func dropSlowConsumer(_ connection: Connection) {
        if connection.path != nil { drop(connection, .slowConsumer) } else { close(connection) }
    }

    @discardableResult
    func send(_ message: ProtocolMessage, to connection: Connection) -> Bool {
        send(outbound(message), to: connection)
    }

    /// Queues without the bound check: only for the one last `error` before a close, which must be able to
    /// explain a slow-consumer drop on a full queue.
    private func enqueue(_ frame: OutboundFrame, to connection: Connection) {
        connection.queuedFrames += 1
        connection.queuedBytes += frame.bytes.count
        metrics.outboundBytes += frame.bytes.count
        metrics.framesOut[frame.message.typeName, default: 0] += 1
        release(.send(connection.id, frame))
    }

    /// Hands `action` to the I/O layer, or holds it behind the staged posts.
    func release(_ action: ServerAction) {
        if staged.isEmpty { actions.append(action) } else { hold(.action(action)) }
    }

    // MARK: Ending connections

    /// Forced drop (§6.8): out of presence and subscriptions, then `error: unauthorized` with the reason,
    /// then close.
    func drop(_ connection: Connection, _ reason: DropReason) {
        guard connections[connection.id] === connection, let path = connection.path else { return }
        log(.dropped(connection.id, path: path, reason: reason))
        metrics.drops[reason, default: 0] += 1
        enqueue(outbound(.error(.unauthorized(reason.text))), to: connection)
        close(connection)
    }

    /// Ends a handshake with its one `error` frame, then closes (§5.3).
    func refuseHandshake(_ connection: Connection, _ error: ProtocolError) {
        guard connections[connection.id] === connection else { return }
        log(.handshakeRefused(connection.id, kind: error.kindName, reason: Self.reason(of: error)))
        metrics.handshakeFailures += 1
        enqueue(outbound(.error(error)), to: connection)
        close(connection)
    }

    /// Forgets the connection and tells the I/O layer to flush and close it.
    func close(_ connection: Connection) {
        guard connections[connection.id] === connection else { return }
        forget(connection)
        release(.close(connection.id))
    }

    private func forget(_ connection: Connection) {
        connections[connection.id] = nil
        // What is still queued is written or dropped by the I/O layer; it no longer counts.
        metrics.outboundBytes -= connection.queuedBytes
        connection.queuedBytes = 0
        if connection.path != nil {
            releaseInCluster(connection)
            sessions.detach(connection)
            metrics.liveSessions -= 1
        } else {
            pendingHandshakes[connection.id] = nil
            metrics.handshakesInProgress -= 1
        }
    }

    // MARK: Timers

    private func reapIdleSessions(now: Int64) {
        for connection in connections.values where connection.path != nil {
            if now - connection.lastSeenMs >= limits.idleTimeoutMs { drop(connection, .idleTimeout) }
        }
    }

    private func sweepRetention() {
        do {
            let deleted = try store.purgeMessages(olderThan: clock.wallMs() - limits.retentionMs)
            log(.retentionSwept(deletedRows: deleted))
        } catch {
            log(.storeFailure(context: "retention sweep", message: error.message))
        }
    }

    // MARK: Helpers

    package static func reason(of error: ProtocolError) -> String {
        switch error {
        case let .versionMismatch(ours, theirs): "ours=\(ours), theirs=\(theirs)"
        case let .malformedFrame(text), let .unauthorized(text), let .notFound(text), let .internal(text): text
        }
    }

    func takeActions() -> [ServerAction] {
        let taken = actions
        actions = []
        return taken
    }
}
