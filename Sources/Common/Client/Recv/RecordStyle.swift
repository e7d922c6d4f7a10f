#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveWire

/// How `conclave-recv` writes a record (TOOLS.md "conclave-recv" Output): NDJSON, a short human line, the body
/// only (`-r`), or a `-F` template. Records that are not messages (`--events`) are NDJSON in every style.
package enum RecordStyle: Hashable, Sendable {
    case json
    case human
    case body
    case template(RecordTemplate)

    /// The text of one record, without its terminator.
    package func render(_ object: JSONObject) -> String {
        guard self != .json, let message = PrintedMessage(object) else { return JSONValue.object(object).serialized() }
        switch self {
        case .json: return JSONValue.object(object).serialized()
        case .body: return message.bodyText
        case let .template(template): return template.render(message)
        case .human: return Self.humanLine(message, isHistory: object["_ts_ms"] != nil)
        }
    }

    /// `12:04:05 #ops alice/laptop/main: text`, or `… alice/laptop/main (whisper): text`, in local time; control
    /// characters of the body are escaped so a message cannot drive the terminal.
    private static func humanLine(_ message: PrintedMessage, isHistory: Bool) -> String {
        var seconds = time_t(message.timeMs / 1000)
        var parts = tm()
        localtime_r(&seconds, &parts)
        let clock = [parts.tm_hour, parts.tm_min, parts.tm_sec].map { $0 < 10 ? "0\($0)" : "\($0)" }
            .joined(separator: ":")
        let place = message.channel.map { "#\($0) \(message.from.text)" } ?? "\(message.from.text) (whisper)"
        var body = ""
        for scalar in message.bodyText.unicodeScalars {
            switch scalar.value {
            case 0x0A: body += "\\n"
            case 0x09: body += "\\t"
            case 0..<0x20, 0x7F...0x9F: body += "\\x" + String(scalar.value, radix: 16)
            default: body.unicodeScalars.append(scalar)
            }
        }
        return "\(clock)\(isHistory ? "*" : "") \(place): \(body)"
    }
}
