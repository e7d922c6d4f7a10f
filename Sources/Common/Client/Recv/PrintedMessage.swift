import ConclaveWire

/// A `channel_msg` or `whisper` record as `conclave-recv` prints it, read back from its NDJSON object, so that
/// records from a link and from `-i` are printed alike.
package struct PrintedMessage: Hashable, Sendable {
    /// Nil for a whisper.
    package var channel: String?
    package var from: SessionPath
    package var payload: Payload
    /// `_ts_ms` for a history row, else `_rx_ms` (0 when neither is there).
    package var timeMs: Int64

    /// Nil when `object` is not a `channel_msg` or `whisper` frame.
    package init?(_ object: JSONObject) {
        var frameMembers = JSONObject()
        for member in object.members where !member.name.hasPrefix("_") { frameMembers[member.name] = member.value }
        switch try? ProtocolMessage(json: frameMembers) {
        case let .channelMsg(channel, from, payload)?:
            self.channel = channel
            self.from = from
            self.payload = payload
        case let .whisper(from, _, payload)?:
            channel = nil
            self.from = from
            self.payload = payload
        default:
            return nil
        }
        timeMs = object["_ts_ms"]?.integerValue ?? object["_rx_ms"]?.integerValue ?? 0
    }

    /// The body as text: an encrypted payload (PROTOCOL.md §9: never decrypted) shows as `<encrypted>`.
    package var bodyText: String {
        switch payload {
        case let .plain(text): text
        case .encrypted: "<encrypted>"
        }
    }
}
