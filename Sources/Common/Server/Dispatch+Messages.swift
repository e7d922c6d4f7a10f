import ConclaveStore
import ConclaveWire

/// Messages and history (PROTOCOL.md §6.5).
extension ServerCore {
    /// Stages the post for the turn's group commit; once it is stored it fans out to every other subscribed
    /// session and the sender gets its ack (no echo), or only an `error` if it could not be stored.
    func post(_ payload: Payload, to channel: String, from connection: Connection, at path: SessionPath)
        throws(Refusal) {
        guard connection.subscriptions.contains(channel) else {
            throw .unauthorized("not a member of channel `\(channel)`")
        }
        let record = MessageRecord(
            channel: channel, from: path.text, payload: payload.encoded(), timeMs: clock.wallMs())
        let delivery = outbound(.channelMsg(channel: channel, from: path, payload: payload))
        let recipients = sessions.subscribers(of: channel).filter { $0 !== connection }
        stage(record, StagedPost(sender: connection, delivery: delivery, recipients: recipients))
    }

    /// Delivers to one live path (the sender's own included, before the ack); never stored.
    func whisper(_ payload: Payload, to target: SessionPath, from path: SessionPath) throws(Refusal)
        -> ProtocolMessage {
        guard let recipient = sessions.session(at: target) else {
            // Several instances: the whisper goes to the one holding the path.
            if let cluster, let holder = try stored({ try cluster.instance(holding: target.text) }),
               holder != cluster.instance {
                // The posts staged before it are stored first, so that the holder can deliver them before it.
                settle()
                let frame = ProtocolMessage.whisper(from: path, target: target, payload: payload).encoded()
                let event = ClusterEvent.whisper(target: target.text, frame: frame, after: cluster.messagePosition)
                try stored { try cluster.publish(event.encoded, to: holder) }
                return .ack(detail: nil)
            }
            throw .notFound("session `\(target.text)` is not online")
        }
        if send(.whisper(from: path, target: target, payload: payload), to: recipient) { metrics.deliveries += 1 }
        return .ack(detail: nil)
    }

    /// Rows strictly after `sinceMs`, oldest first, one page; zero or negative means everything retained.
    func readSince(_ channel: String, sinceMs: Int64, connection: Connection) throws(Refusal) -> ProtocolMessage {
        guard connection.subscriptions.contains(channel) else {
            throw .unauthorized("not a member of channel `\(channel)`")
        }
        let after = sinceMs <= 0 ? Int64.min : sinceMs
        let rows = try stored { try store.messages(inChannel: channel, after: after, limit: limits.historyPageSize) }
        let messages = rows.compactMap { row -> HistoryMessage? in
            guard let from = try? SessionPath(parsing: row.from), let payload = try? Payload(decoding: row.payload)
            else { return nil }
            return HistoryMessage(from: from, tsMs: row.timeMs, payload: payload)
        }
        return .history(channel: channel, messages: historyPage(channel, messages))
    }
}
