#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveTransport

/// Reads input lines from standard input or from the `--fifo` FIFO, on the event loop.
///
/// Standard input is read as it is (its flags are shared with other processes, so they are not changed): one
/// `read` per readiness never blocks. What epoll cannot watch (a regular file, `/dev/null`) never blocks a read
/// either; it is read in chunks on later turns instead. The FIFO is opened non-blocking and re-opened at
/// each end of file, so writer after writer can send lines (`echo … > DIR/in`).
final class InputReader: EventLoopHandler {
    enum Source: Hashable {
        case standardInput
        case fifo(path: String)
    }

    /// Bytes read per turn, so one busy input cannot starve the link.
    private static let chunkByteCount = 65_536

    private let source: Source
    private unowned let loop: EventLoop
    private let onLine: (LineSplitter.Line) -> Void
    private let onEnd: () -> Void
    private var splitter = LineSplitter()
    private var fileDescriptor: Int32 = -1
    private var isWatched = false
    /// epoll cannot watch the descriptor: it is read on later turns instead.
    private var readsDirectly = false
    private var isChunkScheduled = false
    private var isPaused = false
    private var isStopped = false
    private var buffer = [UInt8](repeating: 0, count: chunkByteCount)

    /// `onLine` gets every line; `onEnd` is called once when standard input is at its end (never for the FIFO).
    init(
        _ source: Source, loop: EventLoop, onLine: @escaping (LineSplitter.Line) -> Void,
        onEnd: @escaping () -> Void = {}
    ) {
        self.source = source
        self.loop = loop
        self.onLine = onLine
        self.onEnd = onEnd
    }

    deinit {
        if case .fifo = source, fileDescriptor >= 0 { close(fileDescriptor) }
    }

    func start() throws(ClientError) {
        switch source {
        case .standardInput:
            fileDescriptor = 0
            watchOrPoll()
        case let .fifo(path):
            try Self.makeFIFO(path)
            try openFIFO(path)
        }
    }

    /// Stops reading for good (a signal arrived).
    func stop() {
        guard !isStopped else { return }
        isStopped = true
        unwatch()
        if case .fifo = source, fileDescriptor >= 0 {
            close(fileDescriptor)
            fileDescriptor = -1
        }
    }

    /// Stops reading until `resume` (too many requests wait for replies); lines already read are delivered.
    func pause() {
        isPaused = true
        unwatch()
    }

    func resume() {
        guard isPaused, !isStopped else { return }
        isPaused = false
        if readsDirectly {
            scheduleChunk()
        } else if fileDescriptor >= 0 {
            watch()
        }
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        readOnce()
    }

    /// Watches the descriptor; one epoll cannot watch (a regular file, `/dev/null`) is read on later turns.
    private func watchOrPoll() {
        do {
            try loop.register(fileDescriptor, interest: .readable, handler: self)
            isWatched = true
        } catch {
            readsDirectly = true
            scheduleChunk()
        }
    }

    /// Watches the descriptor again after a pause or a re-open, unless paused or stopped.
    private func watch() {
        guard !isWatched, !isPaused, !isStopped else { return }
        do {
            try loop.register(fileDescriptor, interest: .readable, handler: self)
            isWatched = true
        } catch {
            isStopped = true
        }
    }

    private func unwatch() {
        if isWatched { loop.unregister(fileDescriptor) }
        isWatched = false
    }

    /// A plain file: one chunk per turn, so that the link and the other inputs get their turns too.
    private func scheduleChunk() {
        guard !isChunkScheduled else { return }
        isChunkScheduled = true
        loop.runSoon { [weak self] in
            guard let self else { return }
            isChunkScheduled = false
            if !isStopped && !isPaused && readOnce() { scheduleChunk() }
        }
    }

    /// One `read`; returns whether there may be more.
    @discardableResult
    private func readOnce() -> Bool {
        guard !isStopped, !isPaused else { return false }
        let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
        if count > 0 {
            for line in splitter.append(buffer[0..<count]) { onLine(line) }
            return true
        }
        if count < 0 && (errno == EINTR || errno == EAGAIN) { return true }
        if let last = splitter.finish() { onLine(last) }
        switch source {
        case .standardInput:
            isStopped = true
            unwatch()
            onEnd()
        case let .fifo(path):
            // The last writer closed the FIFO: open it again for the next one.
            unwatch()
            close(fileDescriptor)
            fileDescriptor = -1
            do {
                try openFIFO(path)
            } catch {
                isStopped = true
            }
        }
        return false
    }

    private func openFIFO(_ path: String) throws(ClientError) {
        fileDescriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fileDescriptor >= 0 else { throw .systemCall(.fifo, "cannot open \(path)") }
        guard !isPaused else { return }
        do {
            try loop.register(fileDescriptor, interest: .readable, handler: self)
            isWatched = true
        } catch {
            throw ClientError(.fifo, "cannot watch \(path): \(error.message)")
        }
    }

    /// Creates the FIFO with mode 0600 if it is missing; refuses anything else at the path.
    private static func makeFIFO(_ path: String) throws(ClientError) {
        var info = stat()
        if stat(path, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFIFO else {
                throw ClientError(.fifo, "\(path) exists and is not a FIFO")
            }
            return
        }
        guard mkfifo(path, 0o600) == 0 || errno == EEXIST else { throw .systemCall(.fifo, "cannot create \(path)") }
        // mkfifo applies the umask, which may only remove bits; make sure of the mode anyway.
        chmod(path, 0o600)
    }
}
