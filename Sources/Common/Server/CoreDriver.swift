import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

/// Where the runner's ``ServerCore`` runs: how the loop's events reach it and its actions come back.
///
/// On an embedded store the core runs on the loop's own thread (``LoopCore``): a SQLite commit takes
/// microseconds to a few milliseconds and a thread hop would only add latency. On PostgreSQL every store call
/// waits for the network, so the core runs on a thread of its own (``CoreThread``) and the loop goes on reading,
/// writing, answering pings and `/health` meanwhile (issue 16 item 1).
protocol CoreDriver: AnyObject {
    /// Carries out the core's actions in order; set by the runner before ``start()``.
    var perform: ([ServerAction]) -> Void { get set }
    /// A connection told to wait (``received(_:bytes:on:)`` returned false) may hand over frames again.
    var resume: (ConnectionID) -> Void { get set }
    /// `/metrics`.
    var metricsText: String { get }

    /// Starts the core: the retention sweep, the timers. Nothing else comes before it.
    func start() throws(ServeError)
    func connectionOpened(_ id: ConnectionID, acceptedAtMs: Int64)
    /// One decoded frame of `bytes` bytes. Returns whether the connection may hand over more now; when not, it
    /// waits for ``resume``.
    func received(_ frame: ProtocolMessage, bytes: Int, on id: ConnectionID) -> Bool
    func receivedUndecodable(on id: ConnectionID)
    func wrote(frames: Int, bytes: Int, on id: ConnectionID)
    func connectionClosed(_ id: ConnectionID)
    /// The loop's turn ended, or it is about to wait: what the turn handed over is committed now.
    func turnEnded()
    /// Drops every session with "session terminated" and returns once their goodbyes are performed, or at
    /// `deadline` if the core cannot answer by then.
    func shutdown(deadline: MonotonicInstant)
}

/// The core on the loop's thread: every event is a direct call, the posts of a loop turn are committed at its
/// end, and a loop timer drives the core's deadlines.
final class LoopCore: CoreDriver {
    var perform: ([ServerAction]) -> Void = { _ in }
    var resume: (ConnectionID) -> Void = { _ in }
    private let core: ServerCore
    private unowned let loop: EventLoop
    private var tickTimer: EventLoop.TimerID?
    private var tickDueMs: Int64?

    init(core: ServerCore, loop: EventLoop) {
        self.core = core
        self.loop = loop
    }

    var metricsText: String { core.metrics.prometheusText() }

    func start() {
        perform(core.start())
        scheduleTick()
    }

    func connectionOpened(_ id: ConnectionID, acceptedAtMs: Int64) {
        perform(core.connectionOpened(id, acceptedAtMs: acceptedAtMs))
        let deadline = acceptedAtMs + core.limits.handshakeTimeoutMs
        if tickDueMs.map({ deadline < $0 }) ?? true { scheduleTick() }
    }

    func received(_ frame: ProtocolMessage, bytes: Int, on id: ConnectionID) -> Bool {
        perform(core.received(frame, on: id))
        return true
    }

    func receivedUndecodable(on id: ConnectionID) {
        perform(core.receivedUndecodable(on: id))
    }

    func wrote(frames: Int, bytes: Int, on id: ConnectionID) {
        core.wrote(frames: frames, bytes: bytes, on: id)
    }

    func connectionClosed(_ id: ConnectionID) {
        perform(core.connectionClosed(id))
    }

    func turnEnded() {
        perform(core.commit())
    }

    func shutdown(deadline: MonotonicInstant) {
        if let tickTimer { loop.cancel(tickTimer) }
        tickTimer = nil
        perform(core.shutdown())
    }

    /// Sets the loop timer to the core's next deadline (handshake timeouts, reaper, retention sweep).
    private func scheduleTick() {
        let due = core.nextDeadlineMs
        guard due != tickDueMs else { return }
        if let tickTimer { loop.cancel(tickTimer) }
        tickTimer = nil
        tickDueMs = due
        guard let due else { return }
        // One millisecond late, so that the core's millisecond clock has surely reached the deadline.
        let instant = MonotonicInstant(nanoseconds: UInt64(clamping: due + 1).multipliedReportingOverflow(
            by: 1_000_000).partialValue)
        tickTimer = loop.schedule(at: instant) { [unowned self] in
            tickTimer = nil
            tickDueMs = nil
            perform(core.tick())
            scheduleTick()
        }
    }
}
