import ConclaveIdentity
import ConclaveWire

/// `conclave-recv -i`: picks from the NDJSON output of a `conclave-connect` the records recv would print
/// (TOOLS.md "conclave-recv"): deliveries of the CHANNELs (all when none is named), whispers unless
/// `--no-whispers`, the rows of `history` replies as `channel_msg` lines with `_ts_ms`, and with `--events` the
/// local events. Replies, acks and muted deliveries are left out. Pure.
package struct ConnectOutputFilter: Sendable {
    /// What one input record becomes.
    package enum Record: Hashable, Sendable {
        case message(JSONObject)
        case event(JSONObject)
    }

    /// The local events of conclave-ndjson(5).
    private static let eventTypes: Set<String> = [
        "link_up", "link_down", "link_retry", "rejoin_failed", "history_end", "input_error",
    ]

    package let channels: Set<String>
    package let showsWhispers: Bool
    package let showsEvents: Bool
    /// For the `_permission` of history rows, which connect prints without one.
    package let config: ConclaveConfig

    package init(channels: [String], showsWhispers: Bool, showsEvents: Bool, config: ConclaveConfig) {
        self.channels = Set(channels)
        self.showsWhispers = showsWhispers
        self.showsEvents = showsEvents
        self.config = config
    }

    /// The records to print for one input object, in order.
    package func records(for object: JSONObject) -> [Record] {
        switch object["type"]?.stringValue {
        case "channel_msg"?:
            guard let channel = object["channel"]?.stringValue, follows(channel),
                  object["_permission"] != "mute"
            else { return [] }
            return [.message(object)]
        case "whisper"?:
            return showsWhispers && object["_permission"] != "mute" ? [.message(object)] : []
        case "history"?:
            return historyRows(object)
        case let type? where Self.eventTypes.contains(type):
            guard showsEvents else { return [] }
            if type == "history_end" || type == "rejoin_failed",
               let channel = object["channel"]?.stringValue, !follows(channel) {
                return []
            }
            return [.event(object)]
        default:
            return []
        }
    }

    private func follows(_ channel: String) -> Bool { channels.isEmpty || channels.contains(channel) }

    private func historyRows(_ object: JSONObject) -> [Record] {
        guard let channel = object["channel"]?.stringValue, follows(channel),
              let rows = object["messages"]?.arrayValue
        else { return [] }
        let server = object["_server"]?.stringValue
        let level = server.map { config.permission(server: $0, channel: channel) }
        guard level != .mute else { return [] }
        return rows.compactMap { row in
            guard let row = row.objectValue, let from = row["from"], let payload = row["payload"],
                  let tsMs = row["ts_ms"]
            else { return nil }
            var record: JSONObject = ["type": "channel_msg", "channel": .string(channel), "from": from,
                                      "payload": payload]
            for name in ["_server", "_rx_ms"] { record[name] = object[name] }
            record["_ts_ms"] = tsMs
            if let level { record["_permission"] = .string(level.rawValue) }
            return .message(record)
        }
    }
}
