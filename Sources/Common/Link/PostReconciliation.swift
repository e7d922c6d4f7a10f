import ConclaveWire

/// Decides which posts left unacknowledged by a dropped connection already reached the server, from the
/// channel's history (TOOLS.md "The link": neither lost nor duplicated). Rows and posts are matched as a
/// multiset on (from, payload): the server stamps `from` with the sending session's path, so a row from
/// this session with the same payload is the post — unless it is an earlier, acknowledged post with the same
/// text, which is why those are subtracted first.
enum PostReconciliation {
    /// What identifies a post in history.
    struct Key: Hashable, Sendable {
        var from: SessionPath
        var payload: Payload

        init(from: SessionPath, payload: Payload) {
            self.from = from
            self.payload = payload
        }
    }

    /// For each pending post, in order, whether history holds it.
    ///
    /// - Parameters:
    ///   - pending: the unacknowledged posts of one channel, oldest first, each with the path it was sent as.
    ///   - rows: the history rows read since just before the oldest of them.
    ///   - acknowledged: posts of this channel acknowledged within the same window; their rows are theirs.
    static func arrived(pending: [Key], rows: [HistoryMessage], acknowledged: [Key]) -> [Bool] {
        var available: [Key: Int] = [:]
        for row in rows {
            available[Key(from: row.from, payload: row.payload), default: 0] += 1
        }
        for key in acknowledged {
            if let count = available[key] { available[key] = count - 1 }
        }
        return pending.map { key in
            guard let count = available[key], count > 0 else { return false }
            available[key] = count - 1
            return true
        }
    }
}
