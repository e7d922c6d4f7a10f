import ConclavePOSIX
import ConclaveStore
import ConclaveTransport
import ConclaveWire

/// The core on a thread of its own, for a store that waits on the network (PostgreSQL): a store call holds up
/// the core, never the event loop, which goes on reading frames, writing what was queued, answering pings,
/// `/health` and `/metrics`, and closing what must close.
///
/// The loop posts each connection's events to a ``CoreMailbox`` (the core takes them a connection at a time, in
/// turn) and the core posts its actions back through an outbox whose pipe the loop watches. The core's thread
/// works in passes: it takes what the mailbox holds, at most ``passMilliseconds`` long, then commits the pass's
/// posts in one transaction (group commit), reads what the other instances notified, runs its timers, and
/// waits when there is nothing left. Actions leave as soon as they are ready, in batches; an ack still leaves
/// only after its post is stored.
final class CoreThread: CoreDriver {
    /// How long a pass takes inputs before its posts are committed.
    static let passMilliseconds = 10
    /// Actions gathered before they are handed to the loop in the middle of a pass.
    static let batchActions = 64

    var perform: ([ServerAction]) -> Void = { _ in }
    var resume: (ConnectionID) -> Void = { _ in }
    private unowned let loop: EventLoop
    private let mailbox: CoreMailbox
    private let outbox: CoreOutbox
    private let worker: Worker
    private var thread: BackgroundThread?
    private var isCatchUpScheduled = false
    private var isFinished = false

    /// Takes over `core`: from ``start()`` on, only the new thread touches it (and its store and directory).
    init(core: ServerCore, loop: EventLoop) throws(ServeError) {
        self.loop = loop
        do {
            // As many frames as a group commit holds before it commits early, and a megabyte.
            mailbox = try CoreMailbox(frameLimit: core.limits.queueFrameLimit / 4, byteLimit: 1 << 20)
            outbox = try CoreOutbox()
        } catch {
            throw ServeError(.eventLoop, "cannot create the core's pipes: \(error.reason)")
        }
        worker = Worker(core: core, mailbox: mailbox, outbox: outbox)
    }

    var metricsText: String { outbox.metrics.prometheusText() }

    func start() throws(ServeError) {
        do {
            let watcher = OutboxWatcher { [unowned self] in collect() }
            try loop.register(outbox.wakeup.readDescriptor, interest: .readable, handler: watcher)
        } catch {
            throw ServeError(.eventLoop, "cannot watch the core's outbox: \(error.message)")
        }
        do {
            thread = try BackgroundThread { [worker] in worker.run() }
        } catch {
            throw ServeError(.eventLoop, "cannot start the core's thread: \(error.reason)")
        }
    }

    func connectionOpened(_ id: ConnectionID, acceptedAtMs: Int64) {
        mailbox.post(.opened(acceptedAtMs: acceptedAtMs), for: id)
    }

    func received(_ frame: ProtocolMessage, bytes: Int, on id: ConnectionID) -> Bool {
        mailbox.post(.frame(frame), bytes: bytes, for: id)
    }

    func receivedUndecodable(on id: ConnectionID) {
        mailbox.post(.undecodable, for: id)
    }

    func wrote(frames: Int, bytes: Int, on id: ConnectionID) {
        mailbox.postWritten(frames: frames, bytes: bytes, for: id)
    }

    func connectionClosed(_ id: ConnectionID) {
        mailbox.post(.closed, for: id)
    }

    /// The core commits at the end of its own passes.
    func turnEnded() {}

    func shutdown(deadline: MonotonicInstant) {
        mailbox.postShutdown()
        var entries = [Poller.Entry(fileDescriptor: outbox.wakeup.readDescriptor, interest: .readable)]
        while !isFinished && !deadline.hasPassed {
            _ = try? Poller.wait(&entries, timeoutMilliseconds: deadline.millisecondsFromNow)
            collect()
        }
        loop.unregister(outbox.wakeup.readDescriptor)
        // A core still inside a store call at the deadline is left to it: the process is ending.
        if isFinished { thread?.join() }
    }

    /// Carries out what the core published.
    private func collect() {
        let batch = outbox.take()
        perform(batch.actions)
        for id in batch.resumed { resume(id) }
        if batch.isFinished { isFinished = true }
        // The next page of other instances' messages once the connections have written this one (the loop
        // writes at the start of the next turn, before what `runSoon` deferred).
        if batch.wantsCatchUp && !isCatchUpScheduled && !isFinished {
            isCatchUpScheduled = true
            loop.runSoon { [unowned self] in
                isCatchUpScheduled = false
                mailbox.postContinueCatchUp()
            }
        }
    }

    /// What the core's thread owns and does. Nothing in it is touched by the loop's thread once it runs.
    private final class Worker: @unchecked Sendable {
        private let core: ServerCore
        private let mailbox: CoreMailbox
        private let outbox: CoreOutbox
        private var actions: [ServerAction] = []
        private var resumed: [ConnectionID] = []
        /// The mailbox's post count when the core last caught up with the other instances.
        private var caughtUpThrough: UInt64 = 0

        init(core: ServerCore, mailbox: CoreMailbox, outbox: CoreOutbox) {
            self.core = core
            self.mailbox = mailbox
            self.outbox = outbox
        }

        func run() {
            actions += core.start()
            while true {
                let passEnd = MonotonicInstant.after(milliseconds: CoreThread.passMilliseconds)
                while let item = mailbox.next(resumed: &resumed) {
                    switch item {
                    case let .wrote(counts):
                        for (id, count) in counts { core.wrote(frames: count.frames, bytes: count.bytes, on: id) }
                    case let .input(id, input, sequence):
                        handle(input, on: id, sequence: sequence)
                    case .continueCatchUp:
                        actions += core.clusterNotified()
                    case .shutdown:
                        actions += core.shutdown()
                        publish(isFinished: true)
                        return
                    }
                    if actions.count >= CoreThread.batchActions || !resumed.isEmpty { publish() }
                    if passEnd.hasPassed { break }
                }
                actions += core.commit()
                if let cluster = core.cluster, isReadable(cluster.notificationDescriptor) {
                    actions += core.clusterNotified()
                }
                if let due = core.nextDeadlineMs, core.clock.monotonicMs() >= due { actions += core.tick() }
                publish()
                if mailbox.startWaiting() { waitForWork() }
            }
        }

        private func handle(_ input: CoreMailbox.Input, on id: ConnectionID, sequence: UInt64) {
            switch input {
            case let .opened(acceptedAtMs):
                actions += core.connectionOpened(id, acceptedAtMs: acceptedAtMs)
            case let .frame(frame):
                // Read-your-writes across instances: a request posted after the last catch-up may follow an ack
                // another instance gave since, so the core catches up again before it (one query).
                if sequence > caughtUpThrough {
                    caughtUpThrough = mailbox.postCount
                    core.catchUpBeforeNextRequest()
                }
                actions += core.received(frame, on: id)
            case .undecodable:
                actions += core.receivedUndecodable(on: id)
            case .closed:
                actions += core.connectionClosed(id)
            }
        }

        private func publish(isFinished: Bool = false) {
            outbox.publish(
                actions, resumed: resumed, wantsCatchUp: core.hasClusterBacklog, isFinished: isFinished,
                metrics: core.metrics)
            actions.removeAll(keepingCapacity: true)
            resumed.removeAll(keepingCapacity: true)
        }

        /// Sleeps until a post, a notification from the other instances, or the core's next deadline.
        private func waitForWork() {
            var entries = [Poller.Entry(fileDescriptor: mailbox.wakeup.readDescriptor, interest: .readable)]
            if let descriptor = core.cluster?.notificationDescriptor, descriptor >= 0 {
                entries.append(Poller.Entry(fileDescriptor: descriptor, interest: .readable))
            }
            var timeout: Int32 = -1
            if let due = core.nextDeadlineMs {
                // One millisecond late, so that the core's millisecond clock has surely reached the deadline.
                timeout = Int32(clamping: max(0, due - core.clock.monotonicMs() + 1))
            }
            _ = try? Poller.wait(&entries, timeoutMilliseconds: timeout)
            mailbox.wakeup.drain()
        }

        private func isReadable(_ descriptor: Int32) -> Bool {
            guard descriptor >= 0 else { return false }
            var entries = [Poller.Entry(fileDescriptor: descriptor, interest: .readable)]
            return ((try? Poller.wait(&entries, timeoutMilliseconds: 0)) ?? 0) > 0
        }
    }
}

/// What the core's thread hands back to the loop: its actions in order, the connections that may read again,
/// and a copy of its counters for `/metrics`.
private final class CoreOutbox: Sendable {
    struct Batch {
        var actions: [ServerAction] = []
        var resumed: [ConnectionID] = []
        /// Other instances' messages wait for the next page (``ServerCore/hasClusterBacklog``).
        var wantsCatchUp = false
        /// The core has shut down; nothing follows.
        var isFinished = false

        var isEmpty: Bool { actions.isEmpty && resumed.isEmpty && !wantsCatchUp && !isFinished }
    }

    /// Readable when a batch waits.
    let wakeup: WakeupPipe
    private let state = ProcessWideLock((batch: Batch(), metrics: ServerMetrics()))

    init() throws(SystemCallError) {
        wakeup = try WakeupPipe()
    }

    var metrics: ServerMetrics { state.withLock { $0.metrics } }

    /// Adds to the waiting batch, and wakes the loop when it was empty (otherwise a wake-up is already pending).
    func publish(
        _ actions: [ServerAction], resumed: [ConnectionID], wantsCatchUp: Bool, isFinished: Bool,
        metrics: ServerMetrics
    ) {
        let wake = state.withLock { state in
            let wasEmpty = state.batch.isEmpty
            state.batch.actions += actions
            state.batch.resumed += resumed
            state.batch.wantsCatchUp = state.batch.wantsCatchUp || wantsCatchUp
            state.batch.isFinished = state.batch.isFinished || isFinished
            state.metrics = metrics
            return wasEmpty && !state.batch.isEmpty
        }
        if wake { wakeup.wake() }
    }

    /// Everything published so far.
    func take() -> Batch {
        // Drained first: a batch published after this is announced by a wake-up of its own.
        wakeup.drain()
        return state.withLock { state in
            defer { state.batch = Batch() }
            return state.batch
        }
    }
}

/// Hands the readability of the outbox's pipe to the driver.
private final class OutboxWatcher: EventLoopHandler {
    private let ready: () -> Void

    init(_ ready: @escaping () -> Void) { self.ready = ready }

    func handle(_ events: IOEvents, on loop: EventLoop) { ready() }
}
