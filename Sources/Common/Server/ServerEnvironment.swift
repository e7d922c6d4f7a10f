internal import CSodium
internal import Glibc

/// The server's two clocks, injected so that tests can move time by hand.
package struct ServerClock {
    /// Unix epoch milliseconds: message timestamps, `added_at`, invite expiry, retention.
    package var wallMs: () -> Int64
    /// Milliseconds from an arbitrary origin that never jumps: handshake deadlines, idle reaping, sweeps.
    package var monotonicMs: () -> Int64

    package init(wallMs: @escaping () -> Int64, monotonicMs: @escaping () -> Int64) {
        self.wallMs = wallMs
        self.monotonicMs = monotonicMs
    }

    /// `CLOCK_REALTIME` and `CLOCK_MONOTONIC`.
    package static var system: ServerClock {
        ServerClock(wallMs: { milliseconds(of: CLOCK_REALTIME) }, monotonicMs: { milliseconds(of: CLOCK_MONOTONIC) })
    }

    private static func milliseconds(of clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// Where nonces and invite tokens come from: `count` bytes of randomness.
package typealias ServerRandomSource = (_ count: Int) -> [UInt8]

/// libsodium's `randombytes_buf`, the default ``ServerRandomSource``.
package func secureRandomBytes(_ count: Int) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: count)
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { randombytes_buf(base, buffer.count) }
    }
    return bytes
}
