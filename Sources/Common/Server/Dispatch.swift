import ConclaveStore
import ConclaveWire

/// A request refused with an `error` reply. Internal to dispatch: the wire value is ``ProtocolError``.
struct Refusal: Error {
    var error: ProtocolError

    static func notFound(_ text: String) -> Refusal { Refusal(error: .notFound(text)) }
    static func unauthorized(_ text: String) -> Refusal { Refusal(error: .unauthorized(text)) }
    static func malformedFrame(_ text: String) -> Refusal { Refusal(error: .malformedFrame(text)) }

    static let adminRoleRequired = unauthorized("not authorized: admin role required")
}

/// Dispatch after the handshake (PROTOCOL.md §6.3): one frame at a time, exactly one reply each.
extension ServerCore {
    func dispatch(_ frame: ProtocolMessage, from connection: Connection, at path: SessionPath) {
        let kind = if case let .admin(op) = frame { "admin \(op.name)" } else { frame.typeName }
        log(.request(path: path, kind: kind, channel: Self.channelNamed(in: frame)))
        var dropsAfterReply: [(Connection, DropReason)] = []
        let reply: ProtocolMessage?
        do throws(Refusal) {
            reply = try answer(frame, from: connection, at: path, dropsAfterReply: &dropsAfterReply)
        } catch {
            log(.refused(path: path, kind: kind, error: error.error.displayText))
            reply = .error(error.error)
        }
        if let reply { send(fitting(reply), to: connection) }
        for (session, reason) in dropsAfterReply { drop(session, reason) }
    }

    /// The reply to one request, or `nil` for a post, whose reply waits for its group commit. Forced drops the
    /// request causes go to `dropsAfterReply`, so that a caller who drops its own session still gets its reply
    /// first (§6.7 `machine_remove`).
    private func answer(_ frame: ProtocolMessage, from connection: Connection, at path: SessionPath,
                        dropsAfterReply: inout [(Connection, DropReason)]) throws(Refusal) -> ProtocolMessage? {
        switch frame {
        case .ping:
            return .pong
        case let .join(channel, token):
            return try join(channel, token: token, connection: connection, as: path)
        case let .leave(channel):
            sessions.unsubscribe(connection, from: channel)
            try inCluster { try $0.unsubscribe(path.text, from: channel) }
            return .ack(detail: channel)
        case let .who(channel):
            return try who(channel, as: path)
        case .listChannels:
            return try listChannels(as: path)
        case .listMachines:
            return try listMachines(as: path)
        case .listUsers:
            guard admins.contains(path.user) else { throw .adminRoleRequired }
            return .userList(users: try stored { try store.usernames() })
        case let .channelMsg(channel, _, payload):
            try requireDeliverable(
                size: ProtocolMessage.channelMessageSize(channel: channel, from: path, payload: payload))
            try post(payload, to: channel, from: connection, at: path)
            return nil
        case let .whisper(_, target, payload):
            try requireDeliverable(size: ProtocolMessage.whisperSize(from: path, target: target, payload: payload))
            return try whisper(payload, to: target, from: path)
        case let .readSince(channel, sinceMs):
            return try readSince(channel, sinceMs: sinceMs, connection: connection)
        case let .admin(op):
            return try administer(op, from: connection, at: path, dropsAfterReply: &dropsAfterReply)
        default:
            throw .malformedFrame("unexpected frame from client")
        }
    }

    /// Runs a store call; its failure becomes `internal` with the store's text (§6.3). The closure is untyped
    /// only because Swift does not yet infer a closure's thrown type; store calls throw ``StoreError``.
    func stored<T>(_ body: () throws -> T) throws(Refusal) -> T {
        do {
            return try body()
        } catch {
            let message = (error as? StoreError)?.message ?? String(describing: error)
            log(.storeFailure(context: "request", message: message))
            throw Refusal(error: .internal(message))
        }
    }

    /// The channel a request is about, for the log line.
    private static func channelNamed(in frame: ProtocolMessage) -> String? {
        switch frame {
        case let .join(channel, _), let .leave(channel), let .channelMsg(channel, _, _),
             let .readSince(channel, _):
            channel
        case let .who(channel):
            channel
        case let .admin(op):
            op.channelName
        default:
            nil
        }
    }
}

extension AdminOp {
    /// The channel the operation is about, for logs; `nil` for account operations and `invite_revoke`.
    var channelName: String? {
        switch self {
        case let .createChannel(name, _), let .deleteChannel(name), let .renameChannel(name, _),
             let .setVisibility(name, _):
            name
        case let .aclAdd(channel, _), let .aclRemove(channel, _), let .inviteCreate(channel, _, _),
             let .kick(channel, _), let .ban(channel, _), let .aclList(channel), let .unban(channel, _),
             let .banList(channel), let .inviteList(channel):
            channel
        case .inviteRevoke, .userRemove, .machineRemove, .machineAdd:
            nil
        }
    }
}
