#if canImport(Glibc)
internal import Glibc
#endif

/// SIGINT and SIGTERM as readiness on the event loop (a `SignalSource`), so that the orderly stop runs on the
/// loop's thread like everything else. Creating it blocks both signals for normal delivery.
final class ConnectSignals: EventLoopHandler {
    private let source: SignalSource
    private let onSignal: (Int32) -> Void

    init(onSignal: @escaping (Int32) -> Void) throws(ConnectError) {
        do {
            source = try SignalSource([SIGINT, SIGTERM])
        } catch {
            throw ConnectError(.system, "cannot watch SIGINT and SIGTERM: \(error.message)")
        }
        self.onSignal = onSignal
    }

    func register(on loop: EventLoop) throws(ConnectError) {
        do {
            try loop.register(source.fileDescriptor, interest: .readable, handler: self)
        } catch {
            throw ConnectError(.system, error.message)
        }
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        while let signal = source.next() { onSignal(signal) }
    }
}
