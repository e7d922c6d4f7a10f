import ConclaveTransport

/// One client of the `--socket` listener: reads its input lines and writes its records through a bounded queue,
/// all non-blocking on the event loop. A client that stops reading is dropped once its queue is full, so it
/// can never stall the link or the other clients.
final class SocketClient: EventLoopHandler {
    /// The most bytes of records held for one client: room for a few frames of the largest size.
    static let maximumQueuedByteCount = 64 * 1024 * 1024

    let id: ConnectClientID
    private let stream: TransportStream
    private unowned let loop: EventLoop
    private var splitter = LineSplitter()
    private var queue = OutboundQueue()
    private var isReading = true
    /// Too many requests wait for replies: reading waits (the peer's writes then wait in the kernel).
    private var isPaused = false
    private(set) var isClosed = false
    private let onLine: (SocketClient, LineSplitter.Line) -> Void
    private let onGone: (SocketClient, String) -> Void

    /// `onLine` gets each input line; `onGone` is called once when the client is closed, with the reason.
    init(
        id: ConnectClientID, socket: Socket, loop: EventLoop,
        onLine: @escaping (SocketClient, LineSplitter.Line) -> Void,
        onGone: @escaping (SocketClient, String) -> Void
    ) throws(TransportError) {
        self.id = id
        stream = TransportStream(plain: socket)
        self.loop = loop
        self.onLine = onLine
        self.onGone = onGone
        try loop.register(socket.fileDescriptor, interest: .readable, handler: self)
    }

    /// Queues one record line (with its `\n`). Returns false, after closing the client, when the queue is full.
    @discardableResult
    func send(_ line: [UInt8]) -> Bool {
        guard !isClosed else { return false }
        guard queue.byteCount + line.count <= Self.maximumQueuedByteCount else {
            close(reason: "does not read its output (over \(Self.maximumQueuedByteCount >> 20) MiB queued)")
            return false
        }
        queue.append(line)
        flush()
        return !isClosed
    }

    /// Stops reading input (the tool is stopping); output still flows.
    func stopReading() {
        isReading = false
        updateInterest(writable: !queue.isEmpty)
    }

    func pauseReading() {
        isPaused = true
        updateInterest(writable: !queue.isEmpty)
    }

    func resumeReading() {
        guard isPaused else { return }
        isPaused = false
        updateInterest(writable: !queue.isEmpty)
    }

    /// Closes the connection and reports it once.
    func close(reason: String) {
        guard !isClosed else { return }
        isClosed = true
        loop.unregister(stream.fileDescriptor)
        stream.close()
        onGone(self, reason)
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        if events.isReadable && isReading && !isPaused { readAvailable() }
        if !isClosed && events.isWritable { flush() }
        guard !isClosed && events.isHangUp else { return }
        // The peer is gone; the lines it wrote before going are still requests, so read them to the end.
        while isReading && !isClosed && readAvailable() {}
        close(reason: "closed the connection")
    }

    /// One read; returns whether more may be waiting.
    @discardableResult
    private func readAvailable() -> Bool {
        var bytes: [UInt8] = []
        let outcome: IOOutcome
        do {
            outcome = try stream.read(appendingTo: &bytes)
        } catch {
            close(reason: error.message)
            return false
        }
        switch outcome {
        case .transferred:
            for line in splitter.append(bytes) where !isClosed { onLine(self, line) }
            return true
        case .wouldBlock:
            return false
        case .endOfStream:
            // A half-close: the client sent everything and now waits for its replies.
            if let last = splitter.finish() { onLine(self, last) }
            isReading = false
            if !isClosed { updateInterest(writable: !queue.isEmpty) }
            return false
        }
    }

    private func flush() {
        let waitFor: IOInterest?
        do {
            waitFor = try queue.flush(to: stream)
        } catch {
            close(reason: error.message)
            return
        }
        updateInterest(writable: waitFor != nil)
    }

    private func updateInterest(writable: Bool) {
        guard !isClosed else { return }
        var interest: IOInterest = isReading && !isPaused ? .readable : []
        if writable { interest.insert(.writable) }
        loop.setInterest(interest, for: stream.fileDescriptor)
    }
}
