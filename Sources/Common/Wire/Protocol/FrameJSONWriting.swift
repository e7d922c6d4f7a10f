/// The JSON form of frames (PROTOCOL.md §4): `type` first, then the fields in wire order, every optional
/// member present (`null` when absent), byte strings as b64u, paths as text unless ambiguous.
extension ProtocolMessage {
    /// The frame as an ordered JSON object, ready for a caller to append `_` annotations to.
    package func jsonObject() -> JSONObject {
        var object: JSONObject = ["type": .string(typeName)]
        switch self {
        case let .hello(protocolVersion, session):
            object["protocol_version"] = .integer(Int64(protocolVersion))
            object["session"] = .string(session)
        case let .challenge(nonce):
            object["nonce"] = .base64URL(nonce)
        case let .auth(pubkey, signature):
            object["pubkey"] = .base64URL(pubkey)
            object["signature"] = .base64URL(signature)
        case let .established(path):
            object["path"] = path.jsonValue
        case let .register(username, machine, pubkey):
            object["username"] = .string(username)
            object["machine"] = .string(machine)
            object["pubkey"] = .base64URL(pubkey)
        case let .join(channel, token):
            object["channel"] = .string(channel)
            object["token"] = JSONValue(token)
        case let .leave(channel), let .joined(channel):
            object["channel"] = .string(channel)
        case let .who(channel):
            object["channel"] = JSONValue(channel)
        case let .admin(op):
            object["op"] = .string(op.name)
            op.appendMembers(to: &object)
        case let .channelMsg(channel, from, payload):
            object["channel"] = .string(channel)
            object["from"] = from.jsonValue
            object["payload"] = payload.jsonValue
        case let .whisper(from, target, payload):
            object["from"] = from.jsonValue
            object["target"] = target.jsonValue
            object["payload"] = payload.jsonValue
        case let .presence(channel, sessions):
            object["channel"] = JSONValue(channel)
            object["sessions"] = .array(sessions.map(\.jsonValue))
        case let .error(error):
            object["error"] = .string(error.kindName)
            error.appendMembers(to: &object)
        case .listChannels, .ping, .pong, .listMachines, .listUsers:
            break
        case let .channelList(channels):
            object["channels"] = .array(channels.map(\.jsonValue))
        case let .ack(detail):
            object["detail"] = JSONValue(detail)
        case let .inviteToken(token):
            object["token"] = .string(token)
        case let .serverInfo(admin):
            object["admin"] = .bool(admin)
        case let .machineList(machines):
            object["machines"] = .array(machines.map(\.jsonValue))
        case let .userList(users):
            object["users"] = .array(users.map(JSONValue.string))
        case let .inviteList(invites):
            object["invites"] = .array(invites.map(\.jsonValue))
        case let .readSince(channel, sinceMs):
            object["channel"] = .string(channel)
            object["since_ms"] = .integer(sinceMs)
        case let .history(channel, messages):
            object["channel"] = .string(channel)
            object["messages"] = .array(messages.map(\.jsonValue))
        }
        return object
    }

    /// The frame as one compact JSON line, without the trailing `\n`.
    package func jsonLine() -> String {
        JSONValue.object(jsonObject()).serialized()
    }
}

extension AdminOp {
    /// The operation's fields, in wire order, beside `op` (§4.3).
    fileprivate func appendMembers(to object: inout JSONObject) {
        switch self {
        case let .createChannel(name, visibility), let .setVisibility(name, visibility):
            object["name"] = .string(name)
            object["visibility"] = .string(visibility.name)
        case let .deleteChannel(name), let .machineRemove(name):
            object["name"] = .string(name)
        case let .renameChannel(name, newName):
            object["name"] = .string(name)
            object["new_name"] = .string(newName)
        case let .aclAdd(channel, user), let .aclRemove(channel, user), let .ban(channel, user),
             let .unban(channel, user):
            object["channel"] = .string(channel)
            object["user"] = .string(user)
        case let .inviteCreate(channel, uses, expiresInSecs):
            object["channel"] = .string(channel)
            object["uses"] = uses.map { .integer(Int64($0)) } ?? .null
            // A u64 above 2^63-1 has no jansson integer; such values are refused by upstream anyway (§6.7),
            // so they are written as the nearest representable value rather than trapping.
            object["expires_in_secs"] = expiresInSecs.map { .integer(Int64(clamping: $0)) } ?? .null
        case let .inviteRevoke(token):
            object["token"] = .string(token)
        case let .kick(channel, target):
            object["channel"] = .string(channel)
            object["target"] = .string(target)
        case let .userRemove(username):
            object["username"] = .string(username)
        case let .machineAdd(name, pubkey):
            object["name"] = .string(name)
            object["pubkey"] = .base64URL(pubkey)
        case let .aclList(channel), let .banList(channel), let .inviteList(channel):
            object["channel"] = .string(channel)
        }
    }
}

extension ProtocolError {
    /// `message`, or `ours`/`theirs`, beside `error` (§4.4).
    fileprivate func appendMembers(to object: inout JSONObject) {
        switch self {
        case let .versionMismatch(ours, theirs):
            object["ours"] = .integer(Int64(ours))
            object["theirs"] = .integer(Int64(theirs))
        case let .malformedFrame(text), let .unauthorized(text), let .notFound(text), let .internal(text):
            object["message"] = .string(text)
        }
    }
}

extension SessionPath {
    /// The text form, or the object form when the text would be ambiguous (§4.1).
    package var jsonValue: JSONValue {
        guard needsObjectForm else { return .string(text) }
        return ["user": .string(user), "machine": .string(machine), "session": .string(session)]
    }
}

extension Payload {
    /// `{"plain": text}` or `{"encrypted": {"ciphertext": b64u, "key_id": text | null}}`.
    package var jsonValue: JSONValue {
        switch self {
        case let .plain(text):
            return ["plain": .string(text)]
        case let .encrypted(envelope):
            return ["encrypted": ["ciphertext": .base64URL(envelope.ciphertext), "key_id": JSONValue(envelope.keyID)]]
        }
    }
}

extension ChannelInfo {
    var jsonValue: JSONValue {
        ["name": .string(name), "visibility": .string(visibility.name), "member": .bool(member)]
    }
}

extension MachineInfo {
    /// `pubkey` is already text on the wire, so it is copied, not re-encoded (§4.2).
    var jsonValue: JSONValue {
        ["name": .string(name), "pubkey": .string(pubkey), "added_at": .string(addedAt)]
    }
}

extension InviteInfo {
    var jsonValue: JSONValue {
        ["token": .string(token), "uses_remaining": JSONValue(usesRemaining), "expires_at": JSONValue(expiresAt)]
    }
}

extension HistoryMessage {
    var jsonValue: JSONValue {
        ["from": from.jsonValue, "ts_ms": .integer(tsMs), "payload": payload.jsonValue]
    }
}

extension JSONValue {
    /// A byte string as unpadded base64url text.
    static func base64URL(_ bytes: [UInt8]) -> JSONValue {
        .string(Base64URL.encode(bytes))
    }
}
