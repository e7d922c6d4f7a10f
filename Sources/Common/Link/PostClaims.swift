/// The posts of this process that history may already show, per channel: acknowledged ones and those in
/// flight on the current connection. When unacknowledged posts are checked against history, rows that
/// belong to these are not taken as proof that a pending post arrived (the same text can be posted twice).
///
/// Claims are found by tag, not searched for: a list scanned on every ack made a stream of posts quadratic
/// (bench/RESULTS.md "Clients"). Their order does not matter, history is matched as a multiset.
struct PostClaims: Sendable {
    private struct Claim: Sendable {
        var key: PostReconciliation.Key
        var sentWallMs: Int64
        var isAcknowledged: Bool
    }

    private var claims: [String: [RequestTag: Claim]] = [:]

    /// A post was written on the current connection.
    mutating func sent(_ tag: RequestTag, channel: String, key: PostReconciliation.Key, wallMs: Int64) {
        claims[channel, default: [:]][tag] = Claim(key: key, sentWallMs: wallMs, isAcknowledged: false)
    }

    /// The server acknowledged the post (or history showed it arrived).
    mutating func acknowledged(_ tag: RequestTag, channel: String) {
        claims[channel]?[tag]?.isAcknowledged = true
    }

    /// The server refused the post: it is not in history.
    mutating func refused(_ tag: RequestTag, channel: String) {
        claims[channel]?[tag] = nil
        if claims[channel]?.isEmpty == true { claims[channel] = nil }
    }

    /// The connection dropped: posts in flight are no longer claimed (they are pending a check now).
    mutating func connectionLost() {
        keep { $0.isAcknowledged }
    }

    /// The claimed posts of `channel` sent after `sinceMs`.
    func keys(channel: String, sentAfter sinceMs: Int64) -> [PostReconciliation.Key] {
        (claims[channel] ?? [:]).values.filter { $0.sentWallMs > sinceMs }.map(\.key)
    }

    /// Forgets acknowledged posts sent before `wallMs`: no check will look back that far.
    mutating func forget(sentBefore wallMs: Int64) {
        keep { !($0.isAcknowledged && $0.sentWallMs < wallMs) }
    }

    private mutating func keep(where isKept: (Claim) -> Bool) {
        claims = claims.compactMapValues { channelClaims in
            let kept = channelClaims.filter { isKept($0.value) }
            return kept.isEmpty ? nil : kept
        }
    }
}
