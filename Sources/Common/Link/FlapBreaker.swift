/// The flapping breaker of PROTOCOL.md §7.6: counts consecutive links that went down within the stability
/// window after coming up, and trips at the threshold. Dial failures never reach it (those links never came
/// up).
struct FlapBreaker: Hashable, Sendable {
    /// What the link should do about a drop.
    enum Verdict: Hashable, Sendable {
        /// Nothing to say.
        case steady
        /// The threshold was reached: rename a defaulted handle, or warn about an explicit one.
        case tripped
    }

    let threshold: Int
    let stabilityWindowMilliseconds: Int
    /// Short-lived links in a row.
    private(set) var count = 0
    /// After a trip that could not be cured by renaming (an explicit handle), further trips stay silent until
    /// a link survives the window.
    private(set) var isQuiet = false

    init(threshold: Int, stabilityWindowMilliseconds: Int) {
        self.threshold = max(1, threshold)
        self.stabilityWindowMilliseconds = stabilityWindowMilliseconds
    }

    init(timing: LinkTiming) {
        self.init(threshold: timing.flapThreshold, stabilityWindowMilliseconds: timing.stabilityWindowMs)
    }

    /// An up link went down after `upMilliseconds`. The count is reset on a trip.
    ///
    /// - Parameter staysQuietAfterTrip: true for an explicit handle: its one warning is not repeated until a
    ///   link survives the window.
    mutating func linkWentDown(afterMilliseconds upMilliseconds: Int, staysQuietAfterTrip: Bool) -> Verdict {
        if upMilliseconds >= stabilityWindowMilliseconds {
            count = 0
            isQuiet = false
            return .steady
        }
        count += 1
        guard count >= threshold else { return .steady }
        count = 0
        if isQuiet { return .steady }
        if staysQuietAfterTrip { isQuiet = true }
        return .tripped
    }
}
