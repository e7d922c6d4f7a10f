internal import Glibc

/// A point on the monotonic clock (CLOCK_MONOTONIC), used for deadlines and timers; immune to wall-clock changes.
package struct MonotonicInstant: Comparable, Hashable, Sendable {
    /// Nanoseconds since an arbitrary origin (boot).
    package var nanoseconds: UInt64

    package init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    /// The current instant.
    package static func now() -> MonotonicInstant {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return MonotonicInstant(nanoseconds: UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec))
    }

    /// The instant `milliseconds` from now; negative values give an instant already past.
    package static func after(milliseconds: Int) -> MonotonicInstant {
        now().advanced(byMilliseconds: milliseconds)
    }

    /// This instant moved by `milliseconds`, saturating at the clock's range.
    package func advanced(byMilliseconds milliseconds: Int) -> MonotonicInstant {
        let delta = UInt64(milliseconds.magnitude).multipliedReportingOverflow(by: 1_000_000)
        let step = delta.overflow ? UInt64.max : delta.partialValue
        if milliseconds >= 0 {
            let sum = nanoseconds.addingReportingOverflow(step)
            return MonotonicInstant(nanoseconds: sum.overflow ? .max : sum.partialValue)
        }
        return MonotonicInstant(nanoseconds: nanoseconds > step ? nanoseconds - step : 0)
    }

    /// Whole milliseconds from now until this instant, rounded up, 0 if it has passed; clamped for poll(2).
    package var millisecondsFromNow: Int32 {
        let current = MonotonicInstant.now().nanoseconds
        guard nanoseconds > current else { return 0 }
        let milliseconds = (nanoseconds - current + 999_999) / 1_000_000
        return Int32(clamping: milliseconds)
    }

    /// Whether this instant is now or in the past.
    package var hasPassed: Bool { MonotonicInstant.now() >= self }

    package static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}
