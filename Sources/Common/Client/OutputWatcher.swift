import ConclaveTransport

/// Notices that nobody reads standard output any more (`| head -1` exited) even while nothing is being
/// written: the write end of a pipe whose reader closed reports an error to epoll, with no interest needed.
/// A regular file cannot be watched and needs no watching; it is skipped.
final class OutputWatcher: EventLoopHandler {
    private let fileDescriptor: Int32
    private let onClosed: () -> Void
    private var isWatching = false

    init(fileDescriptor: Int32 = 1, onClosed: @escaping () -> Void) {
        self.fileDescriptor = fileDescriptor
        self.onClosed = onClosed
    }

    func start(on loop: EventLoop) {
        do {
            try loop.register(fileDescriptor, interest: [], handler: self)
            isWatching = true
        } catch {
            // Not a pipe, socket or terminal: a write error will tell instead.
        }
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        guard events.isHangUp, isWatching else { return }
        isWatching = false
        loop.unregister(fileDescriptor)
        onClosed()
    }
}
