internal import Glibc

/// The wall clock in Unix milliseconds, the unit of history `ts_ms` and `read_since` watermarks.
package enum WallClock {
    package static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) &* 1000 &+ Int64(spec.tv_nsec / 1_000_000)
    }
}
