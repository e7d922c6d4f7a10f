/// Encoded sizes computed without encoding, so the server can tell whether a frame it is about to build
/// (a delivery with the sender's path stamped in, a history page) stays within the 16 MiB message cap
/// before it copies megabytes.
extension WireWriter {
    /// The length of `value` as a varint (§3.1).
    static func varintSize(_ value: UInt64) -> Int {
        switch value {
        case 0...250: 1
        case 251...0xFFFF: 3
        case 0x1_0000...0xFFFF_FFFF: 5
        default: 9
        }
    }

    static func stringSize(_ value: String) -> Int {
        let count = value.utf8.count
        return varintSize(UInt64(count)) + count
    }

    static func bytesSize(_ count: Int) -> Int {
        varintSize(UInt64(count)) + count
    }
}

extension SessionPath {
    package var encodedSize: Int {
        WireWriter.stringSize(user) + WireWriter.stringSize(machine) + WireWriter.stringSize(session)
    }
}

extension Payload {
    package var encodedSize: Int {
        switch self {
        case let .plain(text):
            1 + WireWriter.stringSize(text)
        case let .encrypted(envelope):
            1 + WireWriter.bytesSize(envelope.ciphertext.count) + 1 + (envelope.keyID.map(WireWriter.stringSize) ?? 0)
        }
    }
}

extension HistoryMessage {
    package var encodedSize: Int {
        from.encodedSize + WireWriter.varintSize(UInt64(bitPattern: (tsMs << 1) ^ (tsMs >> 63))) + payload.encodedSize
    }
}

extension ProtocolMessage {
    /// The size of `channel_msg {channel, from, payload}` as delivered.
    package static func channelMessageSize(channel: String, from: SessionPath, payload: Payload) -> Int {
        1 + WireWriter.stringSize(channel) + from.encodedSize + payload.encodedSize
    }

    /// The size of `whisper {from, target, payload}` as delivered.
    package static func whisperSize(from: SessionPath, target: SessionPath, payload: Payload) -> Int {
        1 + from.encodedSize + target.encodedSize + payload.encodedSize
    }

    /// The size of `history {channel, messages}` whose messages total `messageBytes` encoded bytes.
    package static func historySize(channel: String, messageCount: Int, messageBytes: Int) -> Int {
        1 + WireWriter.stringSize(channel) + WireWriter.varintSize(UInt64(messageCount)) + messageBytes
    }
}
