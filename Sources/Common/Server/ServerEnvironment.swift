import ConclavePOSIX
import ConclaveWire

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

    /// The wall clock and the monotonic clock.
    package static var system: ServerClock {
        ServerClock(
            wallMs: { WallClock.nowMilliseconds() },
            monotonicMs: { Int64(MonotonicInstant.now().nanoseconds / 1_000_000) })
    }
}

/// Where nonces and invite tokens come from: `count` bytes of randomness.
package typealias ServerRandomSource = (_ count: Int) -> [UInt8]

/// The default ``ServerRandomSource``.
package func secureRandomBytes(_ count: Int) -> [UInt8] {
    SecureRandom.bytes(count)
}
