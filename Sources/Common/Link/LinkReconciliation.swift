import ConclavePOSIX
import ConclaveWire

/// Posts left unacknowledged by a drop: after the re-joins, the channel's history since just before them says
/// which arrived; only the others are sent again (TOOLS.md "The link").
extension Link {
    /// Starts the check of the consecutive posts to one channel at the head of the queue.
    func startCheck() {
        guard let first = queue.first, case .channelMsg(let channel, _, _) = first.frame else { return }
        var posts: [PendingRequest] = []
        while let next = queue.first, next.needsCheck, case .channelMsg(channel, _, _) = next.frame {
            posts.append(queue.removeFirst())
        }
        let oldest = posts.map(\.sentWallMs).min() ?? first.sentWallMs
        let (since, overflow) = oldest.subtractingReportingOverflow(Self.reconciliationSlackMs)
        let sinceMs = overflow ? 0 : max(0, since)
        let pager = HistoryPager(channel: channel, sinceMs: sinceMs)
        check = HistoryCheck(pager: pager, sinceMs: sinceMs, posts: posts)
        write(pager.request)
        fifo.append(.historyCheck)
    }

    /// One reply to the history check in progress.
    func continueCheck(with reply: ProtocolMessage) {
        guard var current = check else { return }
        check = nil
        var arrived = [Bool](repeating: false, count: current.posts.count)
        if case .history(_, let rows) = reply {
            if current.pager.receive(rows) {
                check = current
                write(current.pager.request)
                fifo.append(.historyCheck)
                return
            }
            arrived = postsInHistory(current)
        }
        // After an `error` (the channel could not be re-joined) the server's own answer to each post is the best
        // one left: they are sent again.
        var found: [RequestTag] = []
        for (post, isThere) in zip(current.posts, arrived) {
            if isThere {
                found.append(post.tag)
            } else {
                writeRequest(post)
            }
        }
        pumpQueue()
        for tag in found {
            emit(.reply(tag, .frame(.ack(detail: nil))))
        }
    }

    /// Which posts of a finished check history shows; those become claims of their own.
    private func postsInHistory(_ finished: HistoryCheck) -> [Bool] {
        let channel = finished.pager.channel
        var keys: [PostReconciliation.Key?] = []
        for post in finished.posts {
            if let from = post.sentAs, case .channelMsg(_, _, let payload) = post.frame {
                keys.append(PostReconciliation.Key(from: from, payload: payload))
            } else {
                keys.append(nil)
            }
        }
        let checkable = keys.compactMap { $0 }
        var verdicts = PostReconciliation.arrived(
            pending: checkable, rows: finished.pager.rows,
            acknowledged: claims.keys(channel: channel, sentAfter: finished.sinceMs)
        ).makeIterator()
        var arrived: [Bool] = []
        for (post, key) in zip(finished.posts, keys) {
            guard let key, verdicts.next() == true else {
                arrived.append(false)
                continue
            }
            claims.sent(post.tag, channel: channel, key: key, wallMs: post.sentWallMs)
            claims.acknowledged(post.tag, channel: channel)
            arrived.append(true)
        }
        return arrived
    }

    /// Forgets acknowledged posts too old for any check to look at.
    func pruneClaims() {
        let now = WallClock.nowMilliseconds()
        let oldestPending = queue.lazy.filter(\.needsCheck).map(\.sentWallMs).min() ?? now
        claims.forget(sentBefore: min(oldestPending, now) - 2 * Self.reconciliationSlackMs)
    }
}
