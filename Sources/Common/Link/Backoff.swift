/// The reconnect delays of PROTOCOL.md §7.4: the base, doubled after every use, capped; back to the base
/// only when a link that came up stayed up for the stability window (a link that dies sooner is the sign of
/// a supersede fight and must keep slowing down).
struct Backoff: Hashable, Sendable {
    let baseMilliseconds: Int
    let capMilliseconds: Int
    let stabilityWindowMilliseconds: Int
    /// The delay the next `nextDelay()` returns.
    private(set) var upcomingMilliseconds: Int

    init(baseMilliseconds: Int, capMilliseconds: Int, stabilityWindowMilliseconds: Int) {
        self.baseMilliseconds = max(0, baseMilliseconds)
        self.capMilliseconds = max(self.baseMilliseconds, capMilliseconds)
        self.stabilityWindowMilliseconds = stabilityWindowMilliseconds
        upcomingMilliseconds = self.baseMilliseconds
    }

    init(timing: LinkTiming) {
        self.init(
            baseMilliseconds: timing.backoffBaseMs, capMilliseconds: timing.backoffCapMs,
            stabilityWindowMilliseconds: timing.stabilityWindowMs)
    }

    /// The delay to wait now; the one after it is twice as long, up to the cap.
    mutating func nextDelay() -> Int {
        let delay = upcomingMilliseconds
        let doubled = delay.multipliedReportingOverflow(by: 2)
        upcomingMilliseconds = doubled.overflow ? capMilliseconds : min(max(doubled.partialValue, 1), capMilliseconds)
        return delay
    }

    /// An up link went down after `upMilliseconds`: the delays start over only if it was stable.
    mutating func linkWentDown(afterMilliseconds upMilliseconds: Int) {
        if upMilliseconds >= stabilityWindowMilliseconds { upcomingMilliseconds = baseMilliseconds }
    }
}
