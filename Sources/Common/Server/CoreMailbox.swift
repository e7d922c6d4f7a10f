import ConclavePOSIX
import ConclaveWire

/// What the event loop hands to a core that runs on a thread of its own (`CoreThread`).
///
/// Each connection's inputs keep their order in a queue of its own, and the core takes one input at a time from
/// each connection in turn, so a connection that pipelines slow requests (sixty `list_channels` of 50,000
/// channels) delays another's login by one request, not by all of them (issue 15 item 3). A queue holds at most
/// ``frameLimit`` frames or ``byteLimit`` bytes: past that ``post(_:for:)`` says so and the loop stops reading the
/// connection until the core has taken half of it (``CoreThread`` reports that as resumed), so a peer that
/// sends faster than the store answers waits in its socket rather than in memory. What does not belong to one
/// connection's order (bytes written, a catch-up, shutdown) is taken before the next connection input.
final class CoreMailbox: Sendable {
    /// One connection's event, in the order the loop saw them.
    enum Input {
        case opened(acceptedAtMs: Int64)
        case frame(ProtocolMessage)
        case undecodable
        case closed
    }

    /// The next thing for the core to do.
    enum Item {
        /// Frames and encoded bytes written per connection since the last item of this kind.
        case wrote([ConnectionID: (frames: Int, bytes: Int)])
        /// `sequence` numbers the posts of every connection in the order they came.
        case input(ConnectionID, Input, sequence: UInt64)
        /// The connections wrote the last page of other instances' messages: read the next one.
        case continueCatchUp
        case shutdown
    }

    private struct Queue {
        private var inputs: [(input: Input, bytes: Int, sequence: UInt64)] = []
        private var head = 0
        private(set) var bytes = 0
        /// The loop was told to stop handing over this connection's frames.
        var isPaused = false

        var count: Int { inputs.count - head }

        mutating func push(_ input: Input, bytes: Int, sequence: UInt64) {
            inputs.append((input, bytes, sequence))
            self.bytes += bytes
        }

        mutating func pop() -> (Input, sequence: UInt64) {
            let (input, bytes, sequence) = inputs[head]
            head += 1
            self.bytes -= bytes
            // Taken inputs are let go once they are most of the array.
            if head >= 64 && head * 2 >= inputs.count {
                inputs.removeFirst(head)
                head = 0
            }
            return (input, sequence)
        }
    }

    private struct State {
        /// The connections with inputs waiting, and only those.
        var queues: [ConnectionID: Queue] = [:]
        /// Connections with inputs, in the order the core serves them; each appears once.
        var ready: [ConnectionID] = []
        var readyHead = 0
        var written: [ConnectionID: (frames: Int, bytes: Int)] = [:]
        var postCount: UInt64 = 0
        var wantsCatchUp = false
        var wantsShutdown = false
        /// The core found nothing to do and waits on ``wakeup``.
        var isConsumerWaiting = false

        var hasWork: Bool {
            readyHead < ready.count || !written.isEmpty || wantsCatchUp || wantsShutdown
        }
    }

    /// Frames a connection may have waiting before the loop stops reading it.
    let frameLimit: Int
    /// Encoded bytes a connection may have waiting before the loop stops reading it (one frame always fits).
    let byteLimit: Int
    /// Readable when the core, waiting, has something new to do.
    let wakeup: WakeupPipe
    private let state = ProcessWideLock(State())

    init(frameLimit: Int, byteLimit: Int) throws(SystemCallError) {
        self.frameLimit = max(1, frameLimit)
        self.byteLimit = max(1, byteLimit)
        wakeup = try WakeupPipe()
    }

    // MARK: The loop's side

    /// Queues `input` behind the connection's earlier ones. Returns whether the connection may hand over more now;
    /// when not, it waits until the core reports it resumed.
    @discardableResult
    func post(_ input: Input, bytes: Int = 0, for id: ConnectionID) -> Bool {
        let (accepting, wake) = state.withLock { state -> (Bool, Bool) in
            var queue = state.queues.removeValue(forKey: id) ?? Queue()
            if queue.count == 0 { state.ready.append(id) }
            state.postCount += 1
            queue.push(input, bytes: bytes, sequence: state.postCount)
            if queue.count >= frameLimit || queue.bytes >= byteLimit { queue.isPaused = true }
            let accepting = !queue.isPaused
            state.queues[id] = queue
            return (accepting, Self.takeWaiter(&state))
        }
        if wake { wakeup.wake() }
        return accepting
    }

    /// Counts frames written to a connection, for the core's queue bound.
    func postWritten(frames: Int, bytes: Int, for id: ConnectionID) {
        let wake = state.withLock { state in
            state.written[id, default: (0, 0)].frames += frames
            state.written[id, default: (0, 0)].bytes += bytes
            return Self.takeWaiter(&state)
        }
        if wake { wakeup.wake() }
    }

    func postContinueCatchUp() {
        if state.withLock({ state in state.wantsCatchUp = true; return Self.takeWaiter(&state) }) { wakeup.wake() }
    }

    func postShutdown() {
        if state.withLock({ state in state.wantsShutdown = true; return Self.takeWaiter(&state) }) { wakeup.wake() }
    }

    private static func takeWaiter(_ state: inout State) -> Bool {
        defer { state.isConsumerWaiting = false }
        return state.isConsumerWaiting
    }

    // MARK: The core's side

    /// The sequence number of the last input posted.
    var postCount: UInt64 { state.withLock { $0.postCount } }

    /// The next item, nil when there is none. A connection whose queue the item brought down to half its bound
    /// after a pause is appended to `resumed`.
    func next(resumed: inout [ConnectionID]) -> Item? {
        state.withLock { state -> Item? in
            if state.wantsShutdown {
                state.wantsShutdown = false
                return .shutdown
            }
            if !state.written.isEmpty {
                defer { state.written = [:] }
                return .wrote(state.written)
            }
            if state.wantsCatchUp {
                state.wantsCatchUp = false
                return .continueCatchUp
            }
            guard state.readyHead < state.ready.count else {
                // Drained: a burst (thousands of connections opening at once) does not keep its storage.
                if state.ready.capacity > 1_024 { state.ready = [] }
                if state.queues.capacity > 1_024 { state.queues = [:] }
                state.ready.removeAll(keepingCapacity: true)
                state.readyHead = 0
                return nil
            }
            let id = state.ready[state.readyHead]
            state.readyHead += 1
            if state.readyHead >= 1_024 && state.readyHead * 2 >= state.ready.count {
                state.ready.removeFirst(state.readyHead)
                state.readyHead = 0
            }
            guard var queue = state.queues.removeValue(forKey: id), queue.count > 0 else { return nil }
            let (input, sequence) = queue.pop()
            if queue.count > 0 { state.ready.append(id) }
            if queue.isPaused && queue.count <= frameLimit / 2 && queue.bytes <= byteLimit / 2 {
                queue.isPaused = false
                resumed.append(id)
            }
            // Only queues with inputs are kept: an idle connection costs nothing here.
            if queue.count > 0 { state.queues[id] = queue }
            return .input(id, input, sequence: sequence)
        }
    }

    /// Called by the core when ``next(resumed:)`` found nothing: returns true, and arranges for the next post to
    /// wake it, unless something arrived meanwhile (then look again instead of waiting).
    func startWaiting() -> Bool {
        state.withLock { state in
            guard !state.hasWork else { return false }
            state.isConsumerWaiting = true
            return true
        }
    }
}
