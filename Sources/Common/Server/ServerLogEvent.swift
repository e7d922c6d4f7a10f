import ConclaveWire

/// One thing worth a log line. Events name frame kinds, paths and channels only: never bodies, tokens or keys.
package enum ServerLogEvent: Hashable, Sendable, CustomStringConvertible {
    case connectionOpened(ConnectionID)
    /// The peer went away (or the I/O layer gave up on it); `path` is `nil` during the handshake.
    case connectionClosed(ConnectionID, path: SessionPath?)
    /// An inbound message that did not decode: the connection is closed without a reply (§2.2).
    case undecodableFrame(ConnectionID, path: SessionPath?)
    case handshakeRefused(ConnectionID, kind: String, reason: String)
    case registered(ConnectionID, user: String, machine: String)
    case established(ConnectionID, path: SessionPath, admin: Bool)
    case dropped(ConnectionID, path: SessionPath, reason: DropReason)
    /// A request dispatched; `channel` when the request names one.
    case request(path: SessionPath, kind: String, channel: String?)
    case refused(path: SessionPath, kind: String, error: String)
    case storeFailure(context: String, message: String)
    case retentionSwept(deletedRows: Int)
    /// A reply over the message cap, replaced by an `error` saying so.
    case oversizedReply(kind: String, bytes: Int)
    /// A stored row too large to be sent in any `history` page, skipped.
    case oversizedHistoryRow(channel: String, bytes: Int)

    /// True for the per-frame events an operator usually filters out.
    package var isDetail: Bool {
        switch self {
        case .request, .refused: true
        default: false
        }
    }

    /// The event as one log line. Names come from clients, so control characters are escaped (`\x0a`, and
    /// `\u{2028}` for the line and paragraph separators some viewers break lines at): a handle with a newline
    /// cannot forge a second line.
    package var description: String { Self.escapingControlCharacters(text) }

    private var text: String {
        switch self {
        case let .connectionOpened(id): "connection \(id) opened"
        case let .connectionClosed(id, path): "connection \(id)\(Self.label(path)) closed"
        case let .undecodableFrame(id, path): "connection \(id)\(Self.label(path)) sent an undecodable frame; closing"
        case let .handshakeRefused(id, kind, reason): "connection \(id) handshake refused: \(kind): \(reason)"
        case let .registered(id, user, machine): "connection \(id) registered user \(user) with machine \(machine)"
        case let .established(id, path, admin): "connection \(id) established \(path)\(admin ? " (admin)" : "")"
        case let .dropped(id, path, reason): "connection \(id) \(path) dropped: \(reason.text)"
        case let .request(path, kind, channel): "\(path) \(kind)\(channel.map { " \($0)" } ?? "")"
        case let .refused(path, kind, error): "\(path) \(kind) refused: \(error)"
        case let .storeFailure(context, message): "store failure during \(context): \(message)"
        case let .retentionSwept(count): "retention sweep deleted \(count) messages"
        case let .oversizedReply(kind, bytes):
            "\(kind) reply of \(bytes) bytes is over the message limit; sent an error"
        case let .oversizedHistoryRow(channel, bytes):
            "history row of \(bytes) bytes in \(channel) is over the message limit; skipped"
        }
    }

    private static func label(_ path: SessionPath?) -> String { path.map { " \($0)" } ?? "" }

    private static func escapingControlCharacters(_ line: String) -> String {
        guard line.unicodeScalars.contains(where: isControl) else { return line }
        var escaped = ""
        for scalar in line.unicodeScalars {
            if isControl(scalar) {
                let hex = String(scalar.value, radix: 16)
                escaped += scalar.value > 0xff ? "\\u{\(hex)}" : "\\x" + (hex.count < 2 ? "0" + hex : hex)
            } else {
                escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7f...0x9f).contains(scalar.value) || scalar.value == 0x2028
            || scalar.value == 0x2029
    }
}
