import ConclaveStore
import ConclaveWire

/// Several instances on one PostgreSQL (issue 16): what a session does on one instance reaches the sessions the
/// others hold, so that clients spread over the instances see one server (PROTOCOL.md §5–6).
///
/// Each instance keeps its own sessions in memory, as a single server does, and writes to the ``ClusterDirectory``
/// what the others must be able to read (who is online where, subscribed to what) before it replies, so that a
/// request that follows on another instance sees the change. What the others must act on (a supersede, a
/// whisper, a kick, a removal) is published as a ``ClusterEvent``; posts travel as the channel's history itself,
/// which every instance follows in the log's order.
extension ServerCore {
    /// The notification socket is readable: apply the events other instances published, then deliver their
    /// posts to this instance's subscribers.
    package func clusterNotified() -> [ServerAction] {
        guard let cluster else { return [] }
        settle()
        do {
            if try cluster.takeNotifications() { catchUpWithCluster() }
        } catch {
            log(.storeFailure(context: "cluster notifications", message: error.message))
        }
        return takeActions()
    }

    /// Before the first request of a loop turn: what other instances acknowledged before the request was sent is
    /// applied first, as one server would have (a kicked session's post is refused, a post acknowledged
    /// elsewhere is delivered before a `history` that holds it, a join does not receive an older post).
    func catchUpBeforeRequests() {
        guard let cluster, !isCaughtUpThisTurn else { return }
        isCaughtUpThisTurn = true
        do {
            if try cluster.hasUnseenEntries() { catchUpWithCluster() }
        } catch {
            log(.storeFailure(context: "cluster catch-up", message: error.message))
        }
    }

    /// The next request catches up again, though this turn already did: it may follow an ack that another
    /// instance gave since (the core's own thread calls this for a request that arrived after the catch-up).
    func catchUpBeforeNextRequest() {
        isCaughtUpThisTurn = false
    }

    /// Whether other instances' messages wait for the next page; the runner then calls ``clusterNotified()`` again
    /// on the next loop turn, after the connections have written the page before.
    package var hasClusterBacklog: Bool { cluster?.hasUnreadMessages ?? false }

    /// Events first: a kick published before a post must not let the kicked session see that post.
    func catchUpWithCluster() {
        guard let cluster else { return }
        // This instance's staged posts come before what is read now in the log, so they are stored first.
        settle()
        do {
            for bytes in try cluster.newEvents() {
                guard let event = ClusterEvent(decoding: bytes) else { continue }
                // A whisper comes after the posts its sender sent before it.
                if case let .whisper(_, _, after) = event {
                    deliverFromCluster(try cluster.newMessages(through: after))
                }
                apply(event)
            }
            // A page at a time, no more than a quarter of a connection's queue bound: the runner writes it out
            // before the next page (``hasClusterBacklog``), or a subscriber would be dropped as slow for a burst
            // that arrived at once.
            deliverFromCluster(try cluster.newMessages(atMost: max(1, limits.queueFrameLimit / 4)))
        } catch {
            log(.storeFailure(context: "cluster catch-up", message: error.message))
        }
    }

    /// Delivers other instances' posts to this instance's subscribers, each frame encoded once.
    func deliverFromCluster(_ records: [MessageRecord]) {
        for record in records {
            let recipients = sessions.subscribers(of: record.channel)
            guard !recipients.isEmpty, let from = try? SessionPath(parsing: record.from),
                  let payload = try? Payload(decoding: record.payload)
            else { continue }
            let frame = outbound(.channelMsg(channel: record.channel, from: from, payload: payload))
            for recipient in recipients where send(frame, to: recipient) { metrics.deliveries += 1 }
        }
    }

    /// Carries out on this instance's sessions what another instance decided.
    private func apply(_ event: ClusterEvent) {
        switch event {
        case let .superseded(path, generation):
            if let session = localSession(at: path), session.generation < generation { drop(session, .superseded) }
        case let .whisper(target, frame, _):
            guard let session = localSession(at: target), let message = try? ProtocolMessage(decoding: frame)
            else { return }
            if send(OutboundFrame(message: message, bytes: frame), to: session) { metrics.deliveries += 1 }
        case let .channelDeleted(channel):
            sessions.unsubscribeAll(from: channel)
        case let .channelRenamed(channel, newName):
            sessions.moveSubscriptions(from: channel, to: newName)
        case let .userUnsubscribed(user, channel):
            unsubscribe(user: user, from: channel)
        case let .pathUnsubscribed(path, channel):
            if let session = localSession(at: path) { sessions.unsubscribe(session, from: channel) }
        case let .userRemoved(user):
            for session in sessions.sessions(ofUser: user) { drop(session, .userRemoved) }
        case let .machineRemoved(user, machine):
            for session in sessions.sessions(ofUser: user) where session.path?.machine == machine {
                drop(session, .machineRevoked)
            }
        }
    }

    private func localSession(at path: String) -> Connection? {
        (try? SessionPath(parsing: path)).flatMap { sessions.session(at: $0) }
    }

    /// Records a change of subscriptions in the directory and tells the other instances, before the reply that
    /// confirms it: once the admin has its ack, no instance still delivers to the sessions it removed.
    func broadcast(_ event: ClusterEvent) throws(Refusal) {
        guard let cluster else { return }
        try stored {
            switch event {
            case let .channelDeleted(channel): try cluster.unsubscribeAll(from: channel)
            case let .channelRenamed(channel, newName): try cluster.moveSubscriptions(from: channel, to: newName)
            case let .userUnsubscribed(user, channel): try cluster.unsubscribe(user: user, from: channel)
            case let .pathUnsubscribed(path, channel): try cluster.unsubscribe(path, from: channel)
            // Out of presence before the reply, though their instances drop the sessions a moment later.
            case let .userRemoved(user): try cluster.removePresence(ofUser: user, machine: nil)
            case let .machineRemoved(user, machine): try cluster.removePresence(ofUser: user, machine: machine)
            case .superseded, .whisper: break
            }
            try cluster.publish(event.encoded, to: nil)
        }
    }

    /// Runs a directory call when there is a directory; its failure is the request's `internal` error.
    func inCluster(_ body: (any ClusterDirectory) throws -> Void) throws(Refusal) {
        guard let cluster else { return }
        try stored { try body(cluster) }
    }

    /// Claims `path` for a session of this instance; the session of an older claim on another instance is
    /// dropped there (§5.5). Returns the claim's generation (0 without a directory).
    func claimInCluster(_ path: SessionPath) throws(StoreError) -> Int64 {
        guard let cluster else { return 0 }
        let claim = try cluster.claim(path.text)
        if let previous = claim.previousInstance, previous != cluster.instance {
            try cluster.publish(
                ClusterEvent.superseded(path: path.text, generation: claim.generation).encoded, to: previous)
        }
        return claim.generation
    }

    /// The session has ended: its presence goes too, unless a newer session took the path.
    func releaseInCluster(_ connection: Connection) {
        guard let cluster, let path = connection.path else { return }
        do {
            try cluster.release(path.text, generation: connection.generation)
        } catch {
            log(.storeFailure(context: "releasing \(path)", message: error.message))
        }
    }

    /// The heartbeat, the removal of instances that stopped beating, and a catch-up in case a notification was
    /// lost with a connection to the database.
    func beatInCluster() {
        guard let cluster else { return }
        do {
            try cluster.heartbeat {
                sessions.byPath.map { path, connection in
                    ClusterSession(path: path.text, generation: connection.generation,
                                   channels: connection.subscriptions)
                }
            }
            _ = try cluster.removeInstances(silentForMs: limits.clusterInstanceTimeoutMs)
            if try cluster.hasUnseenEntries() { catchUpWithCluster() }
        } catch {
            log(.storeFailure(context: "cluster heartbeat", message: error.message))
        }
    }

    /// Shutdown: this instance's presence goes at once rather than after the timeout.
    func leaveCluster() {
        guard let cluster else { return }
        do {
            try cluster.leave()
        } catch {
            log(.storeFailure(context: "leaving the cluster", message: error.message))
        }
    }
}
