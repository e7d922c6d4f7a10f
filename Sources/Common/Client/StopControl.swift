import ConclaveCLI
import ConclaveTransport

/// How a client tool ends (TOOLS.md "Signals", `-E`, `-W`): input stops, the requests outstanding get up to a
/// grace period for their replies, then the link source is shut down once; its `.ended` ends the run.
package final class StopControl {
    /// Why the tool is ending.
    package enum Reason: Hashable, Sendable {
        /// The input ended (`-E`, or the end of conclave-send's stdin).
        case endOfInput
        /// SIGINT or SIGTERM.
        case signal
        /// Nobody reads stdout any more: a quiet end with status 0.
        case outputClosed
        /// An error of the tool itself (`--strict` input, a failed write): no more input, then this status.
        case fatal(ExitStatus)
    }

    /// How long the outstanding requests may take to be answered once input stops.
    package enum Grace: Hashable, Sendable {
        /// None: the source is shut down at once.
        case none
        /// Up to this many milliseconds (a signal's 2 s, conclave-send's `-W`).
        case milliseconds(Int)
        /// As long as they take (`--strict`: what was read before the bad line is still answered).
        case unbounded
    }

    /// How long a signal waits for outstanding replies.
    package static let signalGrace = Grace.milliseconds(2_000)

    private unowned let loop: EventLoop
    private let source: any LinkSource
    private let outstanding: () -> Int
    private let onStopReading: () -> Void
    private var graceTimer: EventLoop.TimerID?

    /// The reason of the first stop; nil while running.
    package private(set) var reason: Reason?
    /// The source is being shut down.
    package private(set) var isShuttingDown = false
    /// Requests without a reply when the source was shut down.
    package private(set) var unansweredAtShutdown = 0

    /// `outstanding` counts the requests without a reply; `onStopReading` stops every input for good.
    package init(
        loop: EventLoop, source: any LinkSource, outstanding: @escaping () -> Int,
        onStopReading: @escaping () -> Void
    ) {
        self.loop = loop
        self.source = source
        self.outstanding = outstanding
        self.onStopReading = onStopReading
    }

    /// Stops reading input and, after `grace` for the outstanding replies, shuts the source down. A second stop
    /// (a second signal) does not wait any longer.
    package func begin(_ reason: Reason, grace: Grace = .none) {
        guard self.reason == nil else {
            if reason == .signal { shutDown() }
            return
        }
        self.reason = reason
        onStopReading()
        guard outstanding() > 0 else {
            shutDown()
            return
        }
        switch grace {
        case .none:
            shutDown()
        case let .milliseconds(milliseconds):
            graceTimer = loop.schedule(afterMilliseconds: milliseconds) { [weak self] in self?.shutDown() }
        case .unbounded:
            break
        }
    }

    /// A reply arrived: while stopping, the source is shut down as soon as nothing is outstanding.
    package func replyArrived() {
        if reason != nil && outstanding() == 0 { shutDown() }
    }

    /// Shuts the source down now (once), counting what is still unanswered.
    package func shutDown() {
        guard !isShuttingDown else { return }
        isShuttingDown = true
        if let graceTimer { loop.cancel(graceTimer) }
        unansweredAtShutdown = outstanding()
        source.shutdown()
    }
}
