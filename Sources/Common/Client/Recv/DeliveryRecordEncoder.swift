import ConclaveIdentity
import ConclaveWire

/// The records of `channel_msg` and `whisper` deliveries as `conclave-recv` prints them: `RecordFormatter`'s
/// delivery record, with `_ts_ms` for a history row.
///
/// `append` writes a record's compact JSON text without building a `JSONObject` and a jansson tree for it, which
/// cost most of the CPU time of a streaming `conclave-recv` (bench/RESULTS.md "Clients"). jansson still encodes
/// every string; what is written here directly is only what never changes (punctuation and member names),
/// decimal integers, and what jansson encoded for an earlier record and would encode the same again: the
/// frame up to its payload while the channel, sender and target stay those of the previous record, as in a
/// stream, `_server`, and each `_permission`.
final class DeliveryRecordEncoder {
    /// A frame's members other than its payload.
    private struct Head: Equatable {
        var channel: String?
        var from: SessionPath
        var target: SessionPath?
    }

    private let formatter: RecordFormatter
    /// `,"_server":…,"_rx_ms":`, the same in every record.
    private let serverMembers: [UInt8]
    /// The previous record's head, and its text from `{` up to `"payload":`.
    private var previousHead: Head?
    private var previousHeadText: [UInt8] = []
    /// The previous record's level, and its `,"_permission":…`.
    private var previousPermission: PermissionLevel?
    private var previousPermissionText: [UInt8] = []

    init(formatter: RecordFormatter) {
        self.formatter = formatter
        serverMembers = Array(",".utf8) + Self.membersText(["_server": .string(formatter.server)])
            + Array(#","_rx_ms":"#.utf8)
    }

    /// The record of `frame` (a `channel_msg` or `whisper`) delivered with `permission`; `historyTsMs` is the
    /// server time of a history row, nil for a live frame.
    func record(
        _ frame: ProtocolMessage, permission: PermissionLevel, receivedAtMs: Int64, historyTsMs: Int64?
    ) -> JSONObject {
        var object = formatter.delivery(frame, permission: permission, receivedAtMs: receivedAtMs)
        if let historyTsMs { object["_ts_ms"] = .integer(historyTsMs) }
        return object
    }

    /// Appends the compact JSON text of `record(…)` to `output`, byte for byte what serializing it gives.
    func append(
        _ frame: ProtocolMessage, permission: PermissionLevel, receivedAtMs: Int64, historyTsMs: Int64?,
        to output: inout [UInt8]
    ) {
        let head: Head
        let payload: Payload
        switch frame {
        case let .channelMsg(channel, from, framePayload):
            head = Head(channel: channel, from: from, target: nil)
            payload = framePayload
        case let .whisper(from, target, framePayload):
            head = Head(channel: nil, from: from, target: target)
            payload = framePayload
        default:
            let object = record(frame, permission: permission, receivedAtMs: receivedAtMs, historyTsMs: historyTsMs)
            return JSONValue.object(object).serialize(appendingTo: &output)
        }
        output.append(contentsOf: headText(head, of: frame))
        switch payload {
        case let .plain(text):
            output.append(contentsOf: #"{"plain":"#.utf8)
            JSONValue.string(text).serialize(appendingTo: &output)
            output.append(UInt8(ascii: "}"))
        case .encrypted:
            payload.jsonValue.serialize(appendingTo: &output)
        }
        output.append(contentsOf: serverMembers)
        Self.appendDecimal(receivedAtMs, to: &output)
        output.append(contentsOf: permissionText(permission))
        if let historyTsMs {
            output.append(contentsOf: #","_ts_ms":"#.utf8)
            Self.appendDecimal(historyTsMs, to: &output)
        }
        output.append(UInt8(ascii: "}"))
    }

    /// The text of `frame`'s JSON object up to its payload, which is its last member: `{"type":…,"payload":`.
    private func headText(_ head: Head, of frame: ProtocolMessage) -> [UInt8] {
        if previousHead == head { return previousHeadText }
        var object = frame.jsonObject()
        object["payload"] = nil
        previousHead = head
        previousHeadText = Array("{".utf8) + Self.membersText(object) + Array(#","payload":"#.utf8)
        return previousHeadText
    }

    private func permissionText(_ level: PermissionLevel) -> [UInt8] {
        if previousPermission == level { return previousPermissionText }
        previousPermission = level
        previousPermissionText = Array(",".utf8) + Self.membersText(["_permission": .string(level.rawValue)])
        return previousPermissionText
    }

    /// Appends `value` in decimal, as jansson writes an integer (`%lld`), without making a `String` of it.
    private static func appendDecimal(_ value: Int64, to output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = digits.count
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            output.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// The compact text of `object` without its braces (`"name":value,…`), to be spliced into a record.
    private static func membersText(_ object: JSONObject) -> [UInt8] {
        var text: [UInt8] = []
        JSONValue.object(object).serialize(appendingTo: &text)
        return Array(text.dropFirst().dropLast())
    }
}
