import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

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
