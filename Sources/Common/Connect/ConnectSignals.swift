internal import CShims
#if canImport(Glibc)
internal import Glibc
#endif

/// SIGINT and SIGTERM as readiness on the event loop (signalfd), so that the orderly stop runs on the loop's
/// thread like everything else. Creating it blocks both signals for normal delivery.
final class ConnectSignals: EventLoopHandler {
    private let fileDescriptor: Int32
    private let onSignal: (Int32) -> Void

    init(onSignal: @escaping (Int32) -> Void) throws(ConnectError) {
        let descriptor = cshim_termination_signalfd()
        guard descriptor >= 0 else { throw .systemCall(.system, "cannot watch SIGINT and SIGTERM") }
        fileDescriptor = descriptor
        self.onSignal = onSignal
    }

    deinit { close(fileDescriptor) }

    func register(on loop: EventLoop) throws(ConnectError) {
        do {
            try loop.register(fileDescriptor, interest: .readable, handler: self)
        } catch {
            throw ConnectError(.system, error.message)
        }
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        while case let signal = cshim_signalfd_read(fileDescriptor), signal > 0 {
            onSignal(signal)
        }
    }
}
