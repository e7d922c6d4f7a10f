/// The server's timers and bounds (PROTOCOL.md §0, TOOLS.md `conclave-serve`). Tests shorten them.
package struct ServerLimits: Hashable, Sendable {
    /// From TCP accept to `established` (§5.3; TOOLS.md: the deadline runs from accept).
    package var handshakeTimeoutMs: Int64 = 10_000
    /// A session silent this long is reaped (§6.9).
    package var idleTimeoutMs: Int64 = 60_000
    /// How often the reaper looks for idle sessions (§6.9).
    package var reaperIntervalMs: Int64 = 15_000
    /// How long channel history is kept (§6.11).
    package var retentionMs: Int64 = 604_800_000
    /// How often the retention sweep runs after the one at start-up (§6.11).
    package var retentionSweepIntervalMs: Int64 = 3_600_000
    /// Outbound queue bound in frames (§6.10).
    package var queueFrameLimit = 1024
    /// Outbound queue bound in encoded bytes (TOOLS.md).
    package var queueByteLimit = 64 << 20
    /// Encoded bytes queued to all connections together; past it the largest queue is dropped as a slow consumer.
    package var outboundMemoryBudget = Int.max
    /// How often an instance of a deployment tells the others it is alive (issue 16).
    package var clusterHeartbeatIntervalMs: Int64 = 5_000
    /// An instance silent this long is taken for dead and its sessions leave presence (issue 16: within 30 s).
    package var clusterInstanceTimeoutMs: Int64 = 20_000
    /// Rows per `history` reply (§6.5).
    package var historyPageSize = 500

    /// The longest handle, username, machine or channel name accepted, in UTF-8 bytes (conclave-serve(1); the
    /// reference server has no cap). It keeps every list and every stamped path far below the message cap.
    package static let maximumNameBytes = 256

    package init() {}
}
