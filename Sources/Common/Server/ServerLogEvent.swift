/// One thing worth a log line. Events name frame kinds, paths and channels only: never bodies, tokens or keys.
public enum ServerLogEvent: Hashable, Sendable, CustomStringConvertible {
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

    /// True for the per-frame events an operator usually filters out.
    public var isDetail: Bool {
        switch self {
        case .request, .refused: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case let .connectionOpened(id): "connection \(id) opened"
        case let .connectionClosed(id, path): "connection \(id)\(Self.label(path)) closed by peer"
        case let .undecodableFrame(id, path): "connection \(id)\(Self.label(path)) sent an undecodable frame; closing"
        case let .handshakeRefused(id, kind, reason): "connection \(id) handshake refused: \(kind): \(reason)"
        case let .registered(id, user, machine): "connection \(id) registered user \(user) with machine \(machine)"
        case let .established(id, path, admin): "connection \(id) established \(path)\(admin ? " (admin)" : "")"
        case let .dropped(id, path, reason): "connection \(id) \(path) dropped: \(reason.text)"
        case let .request(path, kind, channel): "\(path) \(kind)\(channel.map { " \($0)" } ?? "")"
        case let .refused(path, kind, error): "\(path) \(kind) refused: \(error)"
        case let .storeFailure(context, message): "store failure during \(context): \(message)"
        case let .retentionSwept(count): "retention sweep deleted \(count) messages"
        }
    }

    private static func label(_ path: SessionPath?) -> String { path.map { " \($0)" } ?? "" }
}
