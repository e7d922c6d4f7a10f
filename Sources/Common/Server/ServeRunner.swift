import ConclavePOSIX
import ConclaveStore
import ConclaveTransport
import ConclaveWire

/// `conclave-serve` at work: the store, the listener and the dispatch core wired together on an event loop.
///
/// The transport's WebSocket endpoint answers `/health`, `/metrics`, 404 and 426 itself and hands over each
/// upgraded connection. From then on this bridge decodes every binary message and feeds it to `ServerCore`
/// (an undecodable one ends the connection without an `error` frame, PROTOCOL.md §2.2; text messages are
/// ignored), carries out the core's actions in order (queue a frame, or flush and close), and tells the core which
/// frames have left so that its slow-consumer bound counts only what a peer's socket has not taken. The core runs
/// on the loop's thread, or on PostgreSQL on a thread of its own (see ``CoreDriver``). SIGINT or SIGTERM drop every
/// session with "session terminated", wait up to two seconds for the goodbyes to flush, and return.
package final class ServeRunner: WebSocketServerConnectionHandler {
    /// How long shutdown waits for closing connections to flush.
    private static let shutdownGraceMs = 2_000
    /// The largest message before `established`: the handshake's frames take a few hundred bytes, so a stranger
    /// cannot make the server hold a 16 MiB message (issue 15 item 2).
    static let handshakeMessageLimit = 8 * 1024
    /// Descriptors kept from connections: the store's files (SQLite's database, WAL, journal) or its PostgreSQL
    /// connections, the core's pipes, the loop, signals, stderr.
    private static let reservedDescriptors = 32
    /// Connections kept from sessions for plain HTTP requests.
    private static let reservedForPlainRequests = 32

    private let configuration: ServeConfiguration
    private let log: ServeLog
    private let store: any ServerStore
    private let core: any CoreDriver
    private let loop: EventLoop
    private let server: WebSocketServer
    private var signals: StopSignals?
    private var links: [ConnectionID: WebSocketServerConnection] = [:]
    /// Connections whose `auth` the core has not answered yet: the frames behind it wait for the answer, which
    /// lifts the handshake's size limit, as they do when the core answers before the next frame is read.
    private var awaitingAuthAnswer: Set<ConnectionID> = []
    private var stopSignal: Int32?
    /// A connection whose transport queue holds this much is written at once (see `perform`).
    private let flushThreshold: (frames: Int, bytes: Int)

    /// Binds the listening socket over `store`, as one instance of a deployment when `cluster` is given; nothing
    /// is accepted before ``run()``.
    package init(configuration: ServeConfiguration, store: any ServerStore, cluster: (any ClusterDirectory)? = nil,
                 log: ServeLog) throws(ServeError) {
        self.configuration = configuration
        self.store = store
        self.log = log
        flushThreshold = (
            max(1, configuration.limits.queueFrameLimit / 4), max(1, configuration.limits.queueByteLimit / 4))
        let instanceID: String
        do {
            instanceID = try store.instanceID()
        } catch {
            throw ServeError(.store, "cannot read the instance id from \(store.location): \(error.message)")
        }
        // One budget for every outbound queue, by default a quarter of the machine's memory (issue 15 item 2).
        var limits = configuration.limits
        limits.outboundMemoryBudget = configuration.maximumMemory ?? PhysicalMemory.bytes / 4
        let dispatch = ServerCore(
            store: store, cluster: cluster, admins: configuration.adminAllowlist, limits: limits,
            log: { [log] event in event.isDetail ? log.detail(event.description) : log.event(event.description) })

        let tls: TLSServerContext?
        do {
            tls = try configuration.tls.map { files throws(TransportError) in
                try TLSServerContext(certificateFile: files.certificate, keyFile: files.key)
            }
        } catch {
            throw ServeError(.tls, error.message)
        }
        let listener: ListeningSocket
        do {
            loop = try EventLoop()
            listener = try ListeningSocket(binding: configuration.bind)
        } catch {
            throw ServeError(error.code == .listen ? .listen : .eventLoop, error.message)
        }
        // A deployment's store is PostgreSQL, whose every call waits for the network.
        core = cluster == nil ? LoopCore(core: dispatch, loop: loop) : try CoreThread(core: dispatch, loop: loop)
        var endpoint = WebSocketServer.Configuration(serverID: instanceID, tls: tls)
        // The handshake deadline runs from accept: the transport drops a connection still in the HTTP upgrade
        // when it passes, and the core, told the accept time, times out the rest (PROTOCOL.md §5.3).
        endpoint.upgradeTimeoutMilliseconds = Int(clamping: configuration.limits.handshakeTimeoutMs)
        // The core enforces the byte bound on messages; the transport's own bound is only a backstop, with room
        // for each frame's header and the last `error` frame that the core queues past the bound.
        endpoint.maximumOutboundBytes = Self.saturatingSum(
            limits.queueByteLimit, Self.saturatingProduct(limits.queueFrameLimit, 16), 1 << 20)
        endpoint.metrics = { [core] in core.metricsText }
        // Descriptors: the whole hard limit, less a reserve for the store, the loop and the log, and past the
        // sessions' share a second reserve so that `/health` and `/metrics` still answer (issue 15 item 6).
        let descriptors = OpenFileLimit.raiseToHardLimit()
        endpoint.maximumConnections = max(16, descriptors - Self.reservedDescriptors)
        endpoint.maximumUpgraded = max(8, endpoint.maximumConnections - Self.reservedForPlainRequests)
        endpoint.maximumConnectionsPerAddress = configuration.maximumConnectionsPerAddress
        endpoint.capsLoopback = configuration.capsLoopback
        server = WebSocketServer(listener: listener, loop: loop, configuration: endpoint)
        server.onUpgrade = { [unowned self] connection in upgraded(connection) }
        core.perform = { [unowned self] actions in perform(actions) }
        core.resume = { [unowned self] id in
            if !awaitingAuthAnswer.contains(id) { links[id]?.resumeDelivery() }
        }
        // Plain HTTP requests (health checks every few seconds) are detail; refusals and I/O errors are events.
        server.log = { [log] line in line.contains(" → ") ? log.detail(line) : log.event(line) }
    }

    /// The address bound, with the port the kernel chose when port 0 was asked for.
    package var address: HostAndPort { server.address }

    /// `ws://ADDR` or `wss://ADDR`.
    package var url: String { "\(configuration.tls == nil ? "ws" : "wss")://\(address)" }

    /// Serves until SIGINT or SIGTERM, then closes every session cleanly and returns.
    package func run() throws(ServeError) {
        do {
            let signals = try StopSignals { [unowned self] signal in
                if stopSignal == nil { stopSignal = signal }
            }
            self.signals = signals
            try signals.register(on: loop)
            // A busy turn (thousands of pipelined posts) is cut short by a stop signal (issue 15 item 5).
            loop.shouldEndTurn = { [unowned self] in
                signals.takePending()
                return stopSignal != nil
            }
            // Posts handed over by deferred actions (a connection's backlog past its per-turn budget) are
            // committed before the loop waits, or their acks would wait for the next event.
            loop.beforeWaiting = { [unowned self] in core.turnEnded() }
        } catch {
            throw ServeError(.eventLoop, error.message)
        }
        do {
            try server.start()
        } catch {
            throw ServeError(.listen, error.message)
        }
        let data = store.location
        // Scripts wait for this line, so it is the first: the start-up retention sweep logs after it. No
        // connection is served before the loop runs, so the core still starts before any.
        log.essential("listening on \(url) (data: \(data))")
        logAdmins()
        try core.start()

        do {
            while stopSignal == nil {
                try turn(timeoutMilliseconds: -1)
            }
            log.event("\(StopSignals.name(of: stopSignal ?? 0)): closing \(links.count) connections")
            stopSignal = nil
            server.stopAccepting()
            let deadline = MonotonicInstant.after(milliseconds: Self.shutdownGraceMs)
            core.shutdown(deadline: deadline)
            server.finishAll()
            // A second signal stops the wait.
            while server.connectionCount > 0 && !deadline.hasPassed && stopSignal == nil {
                try turn(timeoutMilliseconds: min(100, deadline.millisecondsFromNow))
            }
        } catch {
            throw ServeError(.eventLoop, error.message)
        }
        loop.shouldEndTurn = nil
        loop.beforeWaiting = nil
        signals?.unregister(from: loop)
        log.event("stopped")
    }

    /// One loop turn, then the group commit of its posts. Connections write what they queue at the start of the
    /// next turn, so the acks and deliveries released here leave only after their posts are stored.
    private func turn(timeoutMilliseconds: Int32) throws(TransportError) {
        try loop.runOnce(timeoutMilliseconds: timeoutMilliseconds)
        core.turnEnded()
    }

    /// Names the server admins, and warns (as upstream does) about a name anyone could still claim.
    private func logAdmins() {
        guard !configuration.admins.isEmpty else { return }
        let names = configuration.admins.map { $0.pinnedKey == nil ? $0.username : "\($0.username) (pinned)" }
        log.event("server admins: \(names.joined(separator: ", "))")
        for admin in configuration.admins where admin.pinnedKey == nil {
            guard (try? store.userExists(admin.username)) == false else { continue }
            log.event("warning: admin `\(admin.username)` is not pinned to a key and not registered yet; whoever "
                + "registers it first becomes a server admin (pin it with --admin \(admin.username)=PUBKEY)")
        }
    }

    // MARK: Connections

    private func upgraded(_ connection: WebSocketServerConnection) {
        let id = ConnectionID(connection.id)
        connection.handler = self
        connection.maximumMessageSize = Self.handshakeMessageLimit
        links[id] = connection
        log.detail("connection \(id) from \(connection.peer)")
        // Both clocks are CLOCK_MONOTONIC, so the accept time carries over as is.
        let acceptedAtMs = Int64(clamping: connection.acceptedAt.nanoseconds / 1_000_000)
        core.connectionOpened(id, acceptedAtMs: acceptedAtMs)
    }

    package func connection(_ connection: WebSocketServerConnection, didReceiveBinary message: [UInt8]) {
        let id = ConnectionID(connection.id)
        let frame: ProtocolMessage
        do {
            frame = try ProtocolMessage(decoding: message)
        } catch {
            log.detail("connection \(id): \(error)")
            core.receivedUndecodable(on: id)
            return
        }
        let accepting = core.received(frame, bytes: message.count, on: id)
        if case .auth = frame, connection.isOpen, connection.maximumMessageSize == Self.handshakeMessageLimit {
            awaitingAuthAnswer.insert(id)
            connection.pauseDelivery()
        } else if !accepting {
            connection.pauseDelivery()
        }
    }

    package func connection(_ connection: WebSocketServerConnection, didWriteMessages count: Int, bytes: Int) {
        core.wrote(frames: count, bytes: bytes, on: ConnectionID(connection.id))
    }

    package func connectionDidEnd(
        _ connection: WebSocketServerConnection, reason: WebSocketServerConnection.EndReason
    ) {
        let id = ConnectionID(connection.id)
        links[id] = nil
        awaitingAuthAnswer.remove(id)
        log.detail("connection \(id) ended: \(reason)")
        core.connectionClosed(id)
    }

    /// Carries out the core's actions in order. A fan-out is one frame value queued to many connections: it is
    /// framed for WebSocket once, and the queues share that storage.
    private func perform(_ actions: [ServerAction]) {
        guard !actions.isEmpty else { return }
        var framed: (message: [UInt8], wire: [UInt8])?
        for action in actions {
            switch action {
            case let .send(id, frame):
                guard let connection = links[id] else { continue }
                if case .established = frame.message {
                    connection.maximumMessageSize = server.configuration.maximumMessageSize
                }
                var outcome = WebSocketServerConnection.SendOutcome.tooLarge
                if frame.bytes.count <= ProtocolMessage.maximumEncodedSize {
                    let wire: [UInt8]
                    // Array equality is O(1) when both share storage, as a fan-out's copies do.
                    if let framed, framed.message == frame.bytes {
                        wire = framed.wire
                    } else {
                        wire = WebSocketFrame(opcode: .binary, payload: frame.bytes).encoded()
                        framed = (frame.bytes, wire)
                    }
                    // The core counts a frame by its encoding, so that is what comes back in `didWriteMessages`.
                    outcome = connection.send(encodedFrame: wire, messageSize: frame.bytes.count)
                }
                switch outcome {
                case .queued:
                    // Written at the next loop turn, in a batch with whatever else this turn queues. But one turn
                    // may read thousands of pipelined requests: their replies and deliveries must not count
                    // against the core's bound while the socket could take them, so a queue that grows past a
                    // quarter of the bound is written now.
                    if connection.outboundMessageCount >= flushThreshold.frames
                        || connection.outboundByteCount >= flushThreshold.bytes {
                        connection.flushNow()
                    }
                case .queueFull:
                    // Only when the peer holds far more than the core's bound allows: drop it at once.
                    connection.abort("outbound queue over \(server.configuration.maximumOutboundBytes) bytes")
                case .tooLarge:
                    // Better no connection than a request without its reply.
                    log.event("connection \(id): \(frame.message.typeName) of \(frame.bytes.count) bytes is over "
                        + "the message size limit; closing")
                    connection.close()
                case .closed:
                    continue
                }
                if awaitingAuthAnswer.remove(id) != nil { connection.resumeDelivery() }
            case let .close(id):
                // The core has forgotten the connection: its input no longer matters (issue 15 item 7).
                links[id]?.finish()
            }
        }
    }

    private static func saturatingSum(_ values: Int...) -> Int {
        values.reduce(0) { sum, value in
            let (result, overflow) = sum.addingReportingOverflow(value)
            return overflow ? .max : result
        }
    }

    private static func saturatingProduct(_ lhs: Int, _ rhs: Int) -> Int {
        let (result, overflow) = lhs.multipliedReportingOverflow(by: rhs)
        return overflow ? .max : result
    }
}
