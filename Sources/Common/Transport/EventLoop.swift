internal import CSystemShims
internal import Glibc
import ConclavePOSIX

/// What an `EventLoop` reports for a registered descriptor.
package struct IOEvents: Hashable, Sendable {
    /// Ready for reading (also set on hang-up and error, so that the next read reports what happened).
    package var isReadable: Bool
    package var isWritable: Bool
    /// The peer hung up or the socket has an error.
    package var isHangUp: Bool
}

/// Receives the readiness of the descriptors it registered.
package protocol EventLoopHandler: AnyObject {
    func handle(_ events: IOEvents, on loop: EventLoop)
}

/// A single-threaded epoll loop: level-triggered readiness for many descriptors, timers on the monotonic
/// clock, and actions deferred to the next turn. Nothing in it blocks but `epoll_wait`, so one slow peer
/// cannot stall another as long as handlers use non-blocking I/O.
package final class EventLoop {
    /// A scheduled timer, for `cancel`.
    package struct TimerID: Hashable, Sendable {
        fileprivate let value: UInt64
    }

    private struct Registration {
        var handler: EventLoopHandler
        var interest: IOInterest
        var generation: UInt32
    }

    private struct TimerEntry {
        var instant: MonotonicInstant
        var id: UInt64
    }

    private let epoll: Socket
    private var registrations: [Int32: Registration] = [:]
    private var nextGeneration: UInt32 = 1
    private var timerHeap: [TimerEntry] = []
    private var timerActions: [UInt64: () -> Void] = [:]
    private var nextTimerID: UInt64 = 1
    private var deferred: [() -> Void] = []
    private var isStopping = false
    private var events: [cshim_epoll_event]
    /// Asked between two handlers of one turn; when it returns true the turn ends there, and the events not yet
    /// handled are reported again at the next (readiness is level-triggered). A server sets it to notice a stop
    /// signal within one handler's work rather than after a whole busy turn.
    package var shouldEndTurn: (() -> Bool)?
    /// Called once a turn, after the deferred actions and before waiting: work they left half done (the server's
    /// group commit of posts they handed over) must not wait for an event that may never come.
    package var beforeWaiting: (() -> Void)?

    package init(maxEventsPerTurn: Int = 256) throws(TransportError) {
        let fd = cshim_epoll_create()
        guard fd >= 0 else { throw TransportError(.io, "epoll_create1 failed: \(TransportError.errnoText(errno))") }
        epoll = Socket(adopting: fd, label: "epoll")
        events = [cshim_epoll_event](repeating: cshim_epoll_event(), count: min(256, max(1, maxEventsPerTurn)))
    }

    /// How many descriptors are registered.
    package var registeredCount: Int { registrations.count }

    /// Starts reporting the readiness of `fileDescriptor` to `handler`. The loop keeps `handler` alive until
    /// `unregister`.
    package func register(
        _ fileDescriptor: Int32, interest: IOInterest, handler: EventLoopHandler
    ) throws(TransportError) {
        let generation = nextGeneration
        nextGeneration &+= 1
        let data = Self.eventData(fileDescriptor, generation: generation)
        let flags = Self.eventFlags(interest)
        guard cshim_epoll_ctl(epoll.fileDescriptor, CSHIM_EPOLL_CTL_ADD, fileDescriptor, flags, data) == 0 else {
            throw TransportError(.io, "epoll_ctl(ADD) failed: \(TransportError.errnoText(errno))")
        }
        registrations[fileDescriptor] = Registration(handler: handler, interest: interest, generation: generation)
    }

    /// Changes what `fileDescriptor` is watched for; a no-op when unchanged or not registered.
    package func setInterest(_ interest: IOInterest, for fileDescriptor: Int32) {
        guard var registration = registrations[fileDescriptor], registration.interest != interest else { return }
        registration.interest = interest
        registrations[fileDescriptor] = registration
        let data = Self.eventData(fileDescriptor, generation: registration.generation)
        cshim_epoll_ctl(epoll.fileDescriptor, CSHIM_EPOLL_CTL_MOD, fileDescriptor, Self.eventFlags(interest), data)
    }

    /// The interest `fileDescriptor` is registered with, nil if it is not.
    package func interest(for fileDescriptor: Int32) -> IOInterest? {
        registrations[fileDescriptor]?.interest
    }

    /// Stops watching `fileDescriptor` and releases its handler. Call it before closing the descriptor.
    package func unregister(_ fileDescriptor: Int32) {
        guard registrations.removeValue(forKey: fileDescriptor) != nil else { return }
        cshim_epoll_ctl(epoll.fileDescriptor, CSHIM_EPOLL_CTL_DEL, fileDescriptor, 0, 0)
    }

    /// Runs `action` once at `instant` (or at the first turn after it).
    @discardableResult
    package func schedule(at instant: MonotonicInstant, _ action: @escaping () -> Void) -> TimerID {
        let id = nextTimerID
        nextTimerID += 1
        timerActions[id] = action
        timerHeap.append(TimerEntry(instant: instant, id: id))
        siftUp(timerHeap.count - 1)
        return TimerID(value: id)
    }

    /// Runs `action` once, `milliseconds` from now.
    @discardableResult
    package func schedule(afterMilliseconds milliseconds: Int, _ action: @escaping () -> Void) -> TimerID {
        schedule(at: .after(milliseconds: milliseconds), action)
    }

    /// Cancels a timer that has not fired; harmless otherwise.
    package func cancel(_ timer: TimerID) {
        timerActions.removeValue(forKey: timer.value)
    }

    /// Runs `action` at the start of the next turn, before waiting for events. Use it for work that must not
    /// wait for the descriptor, such as input TLS already decrypted.
    package func runSoon(_ action: @escaping () -> Void) {
        deferred.append(action)
    }

    /// Makes `run` return after the current turn, or at once if it is not running yet; the turn does not
    /// wait for events any more.
    package func stop() { isStopping = true }

    /// Turns until `stop` is called.
    package func run() throws(TransportError) {
        defer { isStopping = false }
        while !isStopping {
            try runOnce(timeoutMilliseconds: -1)
        }
    }

    /// One turn: runs deferred actions, waits for events at most `timeoutMilliseconds` (-1: until the next
    /// timer or event), dispatches them, then fires due timers. The wait is skipped (a zero timeout) when a
    /// deferred action queued another or stopped the loop, which would otherwise wait with nothing to wake it.
    ///
    /// When timers are due after the handlers ran, what became readable meanwhile is handled first: after a
    /// stall (a slow handler, a paused process) a peer's input that already arrived must count before its
    /// deadline is judged, or a session that pinged in time is reaped as idle.
    package func runOnce(timeoutMilliseconds: Int32) throws(TransportError) {
        let ready = deferred
        deferred.removeAll()
        for action in ready { action() }
        beforeWaiting?()

        var timeout = timeoutMilliseconds
        if !deferred.isEmpty || isStopping {
            timeout = 0
        } else if let next = nextTimerInstant() {
            let untilTimer = next.millisecondsFromNow
            timeout = timeout < 0 ? untilTimer : min(timeout, untilTimer)
        }
        guard try poll(timeoutMilliseconds: timeout) else { return }
        if let next = nextTimerInstant(), next <= .now() {
            guard try poll(timeoutMilliseconds: 0) else { return }
        }
        fireDueTimers()
    }

    /// Waits for events at most `timeoutMilliseconds` and dispatches them; false when `shouldEndTurn` ended the
    /// turn early.
    private func poll(timeoutMilliseconds timeout: Int32) throws(TransportError) -> Bool {
        let count = cshim_epoll_wait(epoll.fileDescriptor, &events, Int32(events.count), timeout)
        if count < 0 && errno != EINTR {
            throw TransportError(.io, "epoll_wait failed: \(TransportError.errnoText(errno))")
        }
        for index in 0..<max(0, Int(count)) {
            if index > 0, let shouldEndTurn, shouldEndTurn() { return false }
            let event = events[index]
            let fd = Int32(truncatingIfNeeded: event.data & 0xffff_ffff)
            let generation = UInt32(truncatingIfNeeded: event.data >> 32)
            // A handler earlier in this batch may have unregistered (and the kernel reused) this descriptor.
            guard let registration = registrations[fd], registration.generation == generation else { continue }
            let flags = event.events
            let hangUp = flags & (CSHIM_EPOLLHUP | CSHIM_EPOLLERR) != 0
            let readable = flags & (CSHIM_EPOLLIN | CSHIM_EPOLLRDHUP) != 0 || hangUp
            let writable = flags & CSHIM_EPOLLOUT != 0 || (hangUp && registration.interest.contains(.writable))
            registration.handler.handle(
                IOEvents(isReadable: readable, isWritable: writable, isHangUp: hangUp), on: self)
        }
        return true
    }

    private static func eventFlags(_ interest: IOInterest) -> UInt32 {
        var flags: UInt32 = 0
        if interest.contains(.readable) { flags |= CSHIM_EPOLLIN | CSHIM_EPOLLRDHUP }
        if interest.contains(.writable) { flags |= CSHIM_EPOLLOUT }
        return flags
    }

    /// The descriptor and its registration's generation, so that stale events for a reused number are dropped.
    private static func eventData(_ fd: Int32, generation: UInt32) -> UInt64 {
        UInt64(generation) << 32 | UInt64(UInt32(bitPattern: fd))
    }

    private func nextTimerInstant() -> MonotonicInstant? {
        while let first = timerHeap.first, timerActions[first.id] == nil { popTimer() }
        return timerHeap.first?.instant
    }

    private func fireDueTimers() {
        let now = MonotonicInstant.now()
        while let first = timerHeap.first, first.instant <= now {
            popTimer()
            if let action = timerActions.removeValue(forKey: first.id) { action() }
        }
    }

    private func popTimer() {
        timerHeap.swapAt(0, timerHeap.count - 1)
        timerHeap.removeLast()
        if !timerHeap.isEmpty { siftDown(0) }
    }

    private func isEarlier(_ lhs: Int, _ rhs: Int) -> Bool {
        let a = timerHeap[lhs], b = timerHeap[rhs]
        return a.instant < b.instant || (a.instant == b.instant && a.id < b.id)
    }

    private func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard isEarlier(child, parent) else { return }
            timerHeap.swapAt(child, parent)
            child = parent
        }
    }

    private func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < timerHeap.count && isEarlier(left, smallest) { smallest = left }
            if right < timerHeap.count && isEarlier(right, smallest) { smallest = right }
            guard smallest != parent else { return }
            timerHeap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
