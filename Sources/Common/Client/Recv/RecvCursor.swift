import ConclaveWire

/// What `conclave-recv --cursor FILE` saves (TOOLS.md "conclave-recv"): a place in a conclave-connect spool, or
/// a history watermark per channel of one server. One JSON line, so that a person can read it with `jq`.
package enum RecvCursor: Hashable, Sendable {
    case spool(SpoolPosition)
    case channels(server: String, watermarks: [String: ChannelWatermark])

    /// The JSON line written to FILE.
    package var jsonLine: String {
        switch self {
        case let .spool(position):
            let spool: JSONObject = [
                "device": .integer(Int64(bitPattern: position.device)),
                "inode": .integer(Int64(bitPattern: position.inode)), "offset": .integer(position.offset),
                "tail": .string(Base64URL.encode(position.tail)),
            ]
            return JSONValue.object(["spool": .object(spool)]).serialized()
        case let .channels(server, watermarks):
            var channels = JSONObject()
            for (channel, watermark) in watermarks.sorted(by: { $0.key < $1.key }) {
                channels[channel] = Self.json(watermark)
            }
            return JSONValue.object(["server": .string(server), "channels": .object(channels)]).serialized()
        }
    }

    /// Reads FILE's contents back; nil when they are not a cursor.
    package init?(parsing bytes: [UInt8]) {
        guard let object = try? JSONValue(parsing: bytes).objectValue else { return nil }
        if let spool = object["spool"]?.objectValue {
            guard let device = spool["device"]?.integerValue, let inode = spool["inode"]?.integerValue,
                  let offset = spool["offset"]?.integerValue, offset >= 0,
                  let tailText = spool["tail"]?.stringValue, let tail = try? Base64URL.decode(tailText)
            else { return nil }
            self = .spool(SpoolPosition(
                device: UInt64(bitPattern: device), inode: UInt64(bitPattern: inode), offset: offset, tail: tail))
            return
        }
        guard let server = object["server"]?.stringValue, let channels = object["channels"]?.objectValue else {
            return nil
        }
        var watermarks: [String: ChannelWatermark] = [:]
        for member in channels.members {
            guard let watermark = Self.watermark(member.value) else { return nil }
            watermarks[member.name] = watermark
        }
        self = .channels(server: server, watermarks: watermarks)
    }

    private static func json(_ watermark: ChannelWatermark) -> JSONValue {
        let accounted = watermark.accounted.entries
            .map { key, count -> JSONValue in
                ["from": key.from.jsonValue, "payload": key.payload.jsonValue, "count": .integer(Int64(count))]
            }
            .sorted { $0.serialized() < $1.serialized() }
        return ["since_ms": .integer(watermark.sinceMs), "accounted": .array(accounted)]
    }

    private static func watermark(_ value: JSONValue) -> ChannelWatermark? {
        guard let object = value.objectValue, let sinceMs = object["since_ms"]?.integerValue,
              let entries = object["accounted"]?.arrayValue
        else { return nil }
        var accounted = MessageMultiset()
        for entry in entries {
            // The sender and payload are read as the frame they came in, so every payload form round-trips.
            guard let entry = entry.objectValue, let count = entry["count"]?.integerValue, count > 0,
                  let from = entry["from"], let payload = entry["payload"],
                  case let .channelMsg(_, from, payload)? = try? ProtocolMessage(
                      json: ["type": "channel_msg", "channel": "c", "from": from, "payload": payload])
            else { return nil }
            for _ in 0..<count { accounted.insert(MessageKey(from: from, payload: payload)) }
        }
        return ChannelWatermark(sinceMs: sinceMs, accounted: accounted)
    }
}

/// Where a run stopped in a conclave-connect `--fifo` spool: the byte offset after the last line handled, and
/// what identifies the spool, so that a replaced or truncated one is noticed instead of skipped into.
package struct SpoolPosition: Hashable, Sendable {
    /// How many bytes before `offset` are kept in `tail`.
    package static let tailByteCount = 64

    package var device: UInt64
    package var inode: UInt64
    package var offset: Int64
    /// The bytes just before `offset`: a spool rewritten in place past `offset` no longer has them there.
    package var tail: [UInt8]

    package init(device: UInt64, inode: UInt64, offset: Int64, tail: [UInt8]) {
        self.device = device
        self.inode = inode
        self.offset = offset
        self.tail = tail
    }
}
