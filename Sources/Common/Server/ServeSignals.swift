internal import CShims
internal import Glibc

/// SIGINT and SIGTERM as readiness on the event loop (signalfd), so that shutdown runs on the loop's thread
/// like every other event. Creating it blocks both signals for the process's normal delivery.
final class ServeSignals: EventLoopHandler {
    private let fileDescriptor: Int32
    private let onSignal: (Int32) -> Void

    /// Call before any thread is started, so that every thread inherits the blocked mask.
    init(onSignal: @escaping (Int32) -> Void) throws(ServeError) {
        let descriptor = cshim_termination_signalfd()
        guard descriptor >= 0 else {
            throw ServeError(.eventLoop, "cannot watch SIGINT and SIGTERM: \(String(cString: strerror(errno)))")
        }
        fileDescriptor = descriptor
        self.onSignal = onSignal
    }

    deinit {
        close(fileDescriptor)
    }

    func register(on loop: EventLoop) throws(ServeError) {
        do {
            try loop.register(fileDescriptor, interest: .readable, handler: self)
        } catch {
            throw ServeError(.eventLoop, error.message)
        }
    }

    func unregister(from loop: EventLoop) {
        loop.unregister(fileDescriptor)
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        while true {
            let signal = cshim_signalfd_read(fileDescriptor)
            guard signal > 0 else { return }
            onSignal(signal)
        }
    }

    /// `SIGTERM`, `SIGINT`, for logs.
    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
