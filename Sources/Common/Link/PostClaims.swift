/// The posts of this process that history may already show, per channel: acknowledged ones and those in
/// flight on the current connection. When unacknowledged posts are checked against history, rows that
/// belong to these are not taken as proof that a pending post arrived (the same text can be posted twice).
struct PostClaims: Sendable {
    private struct Claim: Sendable {
        var tag: RequestTag
        var key: PostReconciliation.Key
        var sentWallMs: Int64
        var isAcknowledged: Bool
    }

    private var claims: [String: [Claim]] = [:]

    /// A post was written on the current connection.
    mutating func sent(_ tag: RequestTag, channel: String, key: PostReconciliation.Key, wallMs: Int64) {
        claims[channel, default: []].append(Claim(tag: tag, key: key, sentWallMs: wallMs, isAcknowledged: false))
    }

    /// The server acknowledged the post (or history showed it arrived).
    mutating func acknowledged(_ tag: RequestTag, channel: String) {
        guard let index = claims[channel]?.firstIndex(where: { $0.tag == tag }) else { return }
        claims[channel]?[index].isAcknowledged = true
    }

    /// The server refused the post: it is not in history.
    mutating func refused(_ tag: RequestTag, channel: String) {
        claims[channel]?.removeAll { $0.tag == tag }
    }

    /// The connection dropped: posts in flight are no longer claimed (they are pending a check now).
    mutating func connectionLost() {
        for channel in claims.keys {
            claims[channel]?.removeAll { !$0.isAcknowledged }
        }
        claims = claims.filter { !$0.value.isEmpty }
    }

    /// The claimed posts of `channel` sent after `sinceMs`.
    func keys(channel: String, sentAfter sinceMs: Int64) -> [PostReconciliation.Key] {
        (claims[channel] ?? []).filter { $0.sentWallMs > sinceMs }.map(\.key)
    }

    /// Forgets acknowledged posts sent before `wallMs`: no check will look back that far.
    mutating func forget(sentBefore wallMs: Int64) {
        for channel in claims.keys {
            claims[channel]?.removeAll { $0.isAcknowledged && $0.sentWallMs < wallMs }
        }
        claims = claims.filter { !$0.value.isEmpty }
    }
}
