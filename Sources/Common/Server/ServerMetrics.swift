import ConclaveWire

/// Counters for `GET /metrics` (TOOLS.md `conclave-serve`). The core updates them; the I/O layer reads them.
package struct ServerMetrics: Hashable, Sendable {
    /// Established sessions right now.
    package internal(set) var liveSessions = 0
    /// Connections accepted and not yet established, refused or closed.
    package internal(set) var handshakesInProgress = 0
    /// Decoded inbound frames by kind (§4.2 names).
    package internal(set) var framesIn: [String: UInt64] = [:]
    /// Frames queued outbound by kind.
    package internal(set) var framesOut: [String: UInt64] = [:]
    /// `channel_msg` and `whisper` frames queued to recipients.
    package internal(set) var deliveries: UInt64 = 0
    /// Forced drops (§6.8) by reason.
    package internal(set) var drops: [DropReason: UInt64] = [:]
    /// Handshakes that ended in an `error` frame (including timeouts).
    package internal(set) var handshakeFailures: UInt64 = 0
    /// Group commits of posts that succeeded, and that failed (their posts answered with `error`).
    package internal(set) var commits: UInt64 = 0
    package internal(set) var failedCommits: UInt64 = 0
    /// Encoded bytes queued to all connections and not yet written.
    package internal(set) var outboundBytes = 0
    /// The bound on `outboundBytes` (`--max-memory`).
    package internal(set) var outboundBudget = Int.max
    /// Slow-consumer drops made because `outboundBytes` would pass the budget (also in `drops`).
    package internal(set) var budgetDrops: UInt64 = 0

    package init() {}

    /// The counters in the Prometheus text exposition format, labels sorted so that output is stable.
    package func prometheusText() -> String {
        var text = ""
        text += "# TYPE conclave_sessions gauge\nconclave_sessions \(liveSessions)\n"
        text += "# TYPE conclave_handshakes gauge\nconclave_handshakes \(handshakesInProgress)\n"
        text += "# TYPE conclave_frames_in_total counter\n"
        for (kind, count) in framesIn.sorted(by: { $0.key < $1.key }) {
            text += "conclave_frames_in_total{kind=\"\(kind)\"} \(count)\n"
        }
        text += "# TYPE conclave_frames_out_total counter\n"
        for (kind, count) in framesOut.sorted(by: { $0.key < $1.key }) {
            text += "conclave_frames_out_total{kind=\"\(kind)\"} \(count)\n"
        }
        text += "# TYPE conclave_deliveries_total counter\nconclave_deliveries_total \(deliveries)\n"
        text += "# TYPE conclave_drops_total counter\n"
        for reason in DropReason.allCases {
            text += "conclave_drops_total{reason=\"\(reason.rawValue)\"} \(drops[reason, default: 0])\n"
        }
        text += "# TYPE conclave_handshake_failures_total counter\n"
        text += "conclave_handshake_failures_total \(handshakeFailures)\n"
        text += "# TYPE conclave_commits_total counter\nconclave_commits_total \(commits)\n"
        text += "# TYPE conclave_failed_commits_total counter\nconclave_failed_commits_total \(failedCommits)\n"
        text += "# TYPE conclave_outbound_bytes gauge\nconclave_outbound_bytes \(outboundBytes)\n"
        text += "# TYPE conclave_outbound_budget_bytes gauge\nconclave_outbound_budget_bytes \(outboundBudget)\n"
        text += "# TYPE conclave_budget_drops_total counter\nconclave_budget_drops_total \(budgetDrops)\n"
        return text
    }
}
