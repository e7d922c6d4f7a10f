internal import CSystemShims
internal import Glibc

/// Signals as readable events on a descriptor (signalfd), so a tool's poll or the server's event loop
/// learns of SIGINT/SIGTERM at a well-defined point instead of in an asynchronous handler.
///
/// Create it early in `main`, before any thread starts: the signals are blocked for the creating thread and
/// the threads it starts later, and stay blocked (children started with posix_spawn inherit the mask, so
/// reset it there when they should see these signals).
package final class SignalSource {
    private let socket: Socket

    /// Starts reporting `signals` (e.g. `[SIGINT, SIGTERM]`) instead of letting them act.
    package init(_ signals: [Int32]) throws(TransportError) {
        let fd = signals.withUnsafeBufferPointer { cshim_signalfd_open($0.baseAddress, Int32($0.count)) }
        guard fd >= 0 else { throw TransportError(.io, "signalfd failed: \(TransportError.errnoText(errno))") }
        socket = Socket(adopting: fd, label: "signalfd")
    }

    /// The descriptor to poll for readability.
    package var fileDescriptor: Int32 { socket.fileDescriptor }

    /// The next pending signal's number, nil when none is pending.
    package func next() -> Int32? {
        let signal = cshim_signalfd_read(socket.fileDescriptor)
        return signal > 0 ? signal : nil
    }
}
