import ConclaveWire

/// The 16 MiB message cap on what the server sends (PROTOCOL.md §2.4, §6.3): a request whose answer could not
/// be sent is refused, a history page ends before it would pass the cap, and a reply that still does not fit
/// becomes an `error` naming why, so that no request is answered by a dropped connection.
extension ServerCore {
    /// A name that is a valid component (§5.2) and at most ``ServerLimits/maximumNameBytes`` long. The refusal
    /// quotes a short name but not a long one, whose echo could itself pass the cap.
    static func nameRefusal(_ name: String, _ what: String) -> ProtocolError? {
        if name.utf8.count > ServerLimits.maximumNameBytes {
            return .malformedFrame("\(what): longer than \(ServerLimits.maximumNameBytes) bytes")
        }
        return SessionPath.isValidComponent(name) ? nil : .malformedFrame("\(what): `\(name)`")
    }

    func requireName(_ name: String, _ what: String) throws(Refusal) {
        if let error = Self.nameRefusal(name, what) { throw Refusal(error: error) }
    }

    /// A name stored as given (an ACL member, a ban): only its length is checked, as upstream checks nothing.
    func requireNameLength(_ name: String, _ what: String) throws(Refusal) {
        guard name.utf8.count <= ServerLimits.maximumNameBytes else {
            throw .malformedFrame("\(what): longer than \(ServerLimits.maximumNameBytes) bytes")
        }
    }

    /// Refuses at arrival a post or whisper whose delivered frame, with the sender's path stamped in, would pass
    /// the cap: otherwise the sender would be acked and every recipient disconnected.
    func requireDeliverable(size: Int) throws(Refusal) {
        let limit = ProtocolMessage.maximumEncodedSize
        guard size <= limit else {
            throw .malformedFrame("message too large: it would be delivered as \(size) bytes, over the \(limit)-byte "
                + "message limit")
        }
    }

    /// The longest prefix of `messages` whose `history` frame fits the cap (§6.5 allows a shorter page; a client
    /// asks again from the last row). A row too large to be sent even alone is skipped, as undecodable rows are.
    func historyPage(_ channel: String, _ messages: [HistoryMessage]) -> [HistoryMessage] {
        let limit = ProtocolMessage.maximumEncodedSize
        var page: [HistoryMessage] = []
        var bytes = 0
        for message in messages {
            let size = message.encodedSize
            if ProtocolMessage.historySize(channel: channel, messageCount: 1, messageBytes: size) > limit {
                log(.oversizedHistoryRow(channel: channel, bytes: size))
                continue
            }
            let pageSize = ProtocolMessage.historySize(
                channel: channel, messageCount: page.count + 1, messageBytes: bytes + size)
            guard pageSize <= limit else { break }
            page.append(message)
            bytes += size
        }
        return page
    }

    /// `reply` encoded, or an `internal` error naming why when it is over the cap (a presence or list grown past
    /// it, a refusal quoting a huge name).
    func fitting(_ reply: ProtocolMessage) -> OutboundFrame {
        let frame = outbound(reply)
        let limit = ProtocolMessage.maximumEncodedSize
        guard frame.bytes.count > limit else { return frame }
        log(.oversizedReply(kind: reply.typeName, bytes: frame.bytes.count))
        return outbound(.error(.internal("reply too large: \(reply.typeName) of \(frame.bytes.count) bytes is over "
            + "the \(limit)-byte message limit")))
    }
}
