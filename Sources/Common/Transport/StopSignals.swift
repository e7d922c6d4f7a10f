internal import Glibc

/// SIGINT and SIGTERM as readiness on the event loop, so that an orderly stop runs on the loop's thread like
/// every other event. Creating it stops both signals from acting by default; create it before any thread
/// starts, so that every thread inherits the blocked mask.
package final class StopSignals: EventLoopHandler {
    private let source: SignalSource
    private let onSignal: (Int32) -> Void

    package init(onSignal: @escaping (Int32) -> Void) throws(TransportError) {
        do {
            source = try SignalSource([SIGINT, SIGTERM])
        } catch {
            throw TransportError(error.code, "cannot watch SIGINT and SIGTERM: \(error.message)")
        }
        self.onSignal = onSignal
    }

    package func register(on loop: EventLoop) throws(TransportError) {
        try loop.register(source.fileDescriptor, interest: .readable, handler: self)
    }

    package func unregister(from loop: EventLoop) {
        loop.unregister(source.fileDescriptor)
    }

    package func handle(_ events: IOEvents, on loop: EventLoop) {
        takePending()
    }

    /// Reports the signals pending now without waiting for the loop to poll them (a busy turn may be long).
    package func takePending() {
        while let signal = source.next() { onSignal(signal) }
    }

    /// `SIGTERM`, `SIGINT`, for logs.
    package static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(signal)"
        }
    }
}
