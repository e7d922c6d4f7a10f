/// Reading frames from their JSON form (PROTOCOL.md §4). Both path forms are accepted, a missing optional
/// member reads as `null`, `_` members are set aside as annotations, and anything else unknown is refused.
extension ProtocolMessage {
    /// Reads a frame, ignoring any `_` annotations.
    package init(json object: JSONObject) throws(FrameJSONError) {
        self = try AnnotatedFrame(json: object).frame
    }

    /// Reads a frame from one JSON line, ignoring any `_` annotations.
    package init(jsonLine line: String) throws(FrameJSONError) {
        self = try AnnotatedFrame(jsonLine: line).frame
    }
}

/// A frame with the `_`-prefixed annotations tools attach to its JSON form (`_id`, `_server`, `_rx_ms`…).
package struct AnnotatedFrame: Hashable, Sendable {
    package var frame: ProtocolMessage
    /// Only members whose names start with `_`, in the order read or added.
    package var annotations: JSONObject

    package init(_ frame: ProtocolMessage, annotations: JSONObject = JSONObject()) {
        self.frame = frame
        self.annotations = annotations
    }

    /// Parses one JSON line that must hold a JSON object. See `init(json:defaultFrom:)` for `defaultFrom`.
    package init(jsonLine line: String, defaultFrom: SessionPath? = nil) throws(FrameJSONError) {
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            throw .notJSON(error)
        }
        try self.init(json: value, defaultFrom: defaultFrom)
    }

    /// Reads a JSON value that must be an object. See `init(json:defaultFrom:)` for `defaultFrom`.
    package init(json value: JSONValue, defaultFrom: SessionPath? = nil) throws(FrameJSONError) {
        guard case let .object(object) = value else { throw .notAnObject(value) }
        try self.init(json: object, defaultFrom: defaultFrom)
    }

    /// Reads a frame and sets its `_` members aside.
    ///
    /// - Parameter defaultFrom: the sender's own path, used when a `channel_msg` or `whisper` has no `from`
    ///   (tool input lines may omit it, TOOLS.md); without it, `from` is required as usual.
    package init(json object: JSONObject, defaultFrom: SessionPath? = nil) throws(FrameJSONError) {
        var object = object
        if let defaultFrom, object["from"] == nil, ["channel_msg", "whisper"].contains(object["type"]?.stringValue) {
            object["from"] = defaultFrom.jsonValue
        }
        var annotations = JSONObject()
        for member in object.members where member.name.hasPrefix("_") {
            annotations[member.name] = member.value
        }
        self.init(try ProtocolMessage.read(object), annotations: annotations)
    }

    /// The frame's members, then the annotations.
    package func jsonObject() -> JSONObject {
        var object = frame.jsonObject()
        object.merge(annotations)
        return object
    }

    /// One compact JSON line, without the trailing `\n`.
    package func jsonLine() -> String {
        JSONValue.object(jsonObject()).serialized()
    }
}

extension ProtocolMessage {
    /// The members each frame type has besides `type` (§4.2); `admin` and `error` add their own below.
    private static let membersByType: [String: [String]] = [
        "hello": ["protocol_version", "session"], "challenge": ["nonce"], "auth": ["pubkey", "signature"],
        "established": ["path"], "register": ["username", "machine", "pubkey"], "join": ["channel", "token"],
        "leave": ["channel"], "who": ["channel"], "admin": ["op"], "channel_msg": ["channel", "from", "payload"],
        "whisper": ["from", "target", "payload"], "presence": ["channel", "sessions"], "error": ["error"],
        "list_channels": [], "channel_list": ["channels"], "joined": ["channel"], "ack": ["detail"],
        "invite_token": ["token"], "ping": [], "pong": [], "server_info": ["admin"], "list_machines": [],
        "machine_list": ["machines"], "list_users": [], "user_list": ["users"], "invite_list": ["invites"],
        "read_since": ["channel", "since_ms"], "history": ["channel", "messages"],
    ]

    /// The members of each admin operation (§4.3).
    private static let membersByOp: [String: [String]] = [
        "create_channel": ["name", "visibility"], "delete_channel": ["name"], "rename_channel": ["name", "new_name"],
        "set_visibility": ["name", "visibility"], "acl_add": ["channel", "user"], "acl_remove": ["channel", "user"],
        "invite_create": ["channel", "uses", "expires_in_secs"], "invite_revoke": ["token"],
        "kick": ["channel", "target"], "ban": ["channel", "user"], "user_remove": ["username"],
        "machine_remove": ["name"], "machine_add": ["name", "pubkey"], "acl_list": ["channel"],
        "unban": ["channel", "user"], "ban_list": ["channel"], "invite_list": ["channel"],
    ]

    /// The members of each error kind (§4.4).
    private static let membersByErrorKind: [String: [String]] = [
        "version_mismatch": ["ours", "theirs"], "malformed_frame": ["message"], "unauthorized": ["message"],
        "not_found": ["message"], "internal": ["message"],
    ]

    fileprivate static func read(_ object: JSONObject) throws(FrameJSONError) -> ProtocolMessage {
        let type = try name(in: object, member: "type", table: membersByType, unknown: .unknownType)
        var allowed = ["type"] + type.members
        var variant = ""
        switch type.name {
        case "admin":
            let op = try name(in: object, member: "op", table: membersByOp, unknown: .unknownOp)
            allowed += op.members
            variant = op.name
        case "error":
            let kind = try name(in: object, member: "error", table: membersByErrorKind, unknown: .unknownError)
            allowed += kind.members
            variant = kind.name
        default:
            break
        }
        let members = try JSONMemberReader(object, path: nil, allowed: allowed)
        return try read(type: type.name, variant: variant, members)
    }

    /// The string member `member` (e.g. `type`), which must name an entry of `table`, and that entry.
    private static func name(
        in object: JSONObject, member: String, table: [String: [String]], unknown: FrameJSONError.Code
    ) throws(FrameJSONError) -> (name: String, members: [String]) {
        guard let value = object[member] else { throw .missing(member) }
        let name = try JSONField.string(value, member)
        guard let members = table[name] else { throw .unknownName(unknown, member: member, name: name) }
        return (name, members)
    }

    private static func read(
        type: String, variant: String, _ members: JSONMemberReader
    ) throws(FrameJSONError) -> ProtocolMessage {
        switch type {
        case "hello":
            return .hello(protocolVersion: try members.u32("protocol_version"), session: try members.string("session"))
        case "challenge": return .challenge(nonce: try members.bytes("nonce"))
        case "auth": return .auth(pubkey: try members.bytes("pubkey"), signature: try members.bytes("signature"))
        case "established": return .established(path: try members.sessionPath("path"))
        case "register":
            return .register(
                username: try members.string("username"), machine: try members.string("machine"),
                pubkey: try members.bytes("pubkey"))
        case "join": return .join(channel: try members.string("channel"), token: try members.optionalString("token"))
        case "leave": return .leave(channel: try members.string("channel"))
        case "who": return .who(channel: try members.optionalString("channel"))
        case "admin": return .admin(try readAdminOp(variant, members))
        case "channel_msg":
            return .channelMsg(
                channel: try members.string("channel"), from: try members.sessionPath("from"),
                payload: try members.payload("payload"))
        case "whisper":
            return .whisper(
                from: try members.sessionPath("from"), target: try members.sessionPath("target"),
                payload: try members.payload("payload"))
        case "presence":
            return .presence(
                channel: try members.optionalString("channel"),
                sessions: try members.array("sessions", JSONField.sessionPath))
        case "error": return .error(try readError(variant, members))
        case "list_channels": return .listChannels
        case "channel_list": return .channelList(channels: try members.array("channels", readChannelInfo))
        case "joined": return .joined(channel: try members.string("channel"))
        case "ack": return .ack(detail: try members.optionalString("detail"))
        case "invite_token": return .inviteToken(token: try members.string("token"))
        case "ping": return .ping
        case "pong": return .pong
        case "server_info": return .serverInfo(admin: try members.bool("admin"))
        case "list_machines": return .listMachines
        case "machine_list": return .machineList(machines: try members.array("machines", readMachineInfo))
        case "list_users": return .listUsers
        case "user_list": return .userList(users: try members.array("users", JSONField.string))
        case "invite_list": return .inviteList(invites: try members.array("invites", readInviteInfo))
        case "read_since":
            return .readSince(channel: try members.string("channel"), sinceMs: try members.i64("since_ms"))
        default:
            return .history(
                channel: try members.string("channel"), messages: try members.array("messages", readHistoryMessage))
        }
    }

    private static func readAdminOp(_ op: String, _ members: JSONMemberReader) throws(FrameJSONError) -> AdminOp {
        switch op {
        case "create_channel":
            return .createChannel(name: try members.string("name"), visibility: try members.visibility("visibility"))
        case "delete_channel": return .deleteChannel(name: try members.string("name"))
        case "rename_channel":
            return .renameChannel(name: try members.string("name"), newName: try members.string("new_name"))
        case "set_visibility":
            return .setVisibility(name: try members.string("name"), visibility: try members.visibility("visibility"))
        case "acl_add": return .aclAdd(channel: try members.string("channel"), user: try members.string("user"))
        case "acl_remove": return .aclRemove(channel: try members.string("channel"), user: try members.string("user"))
        case "invite_create":
            return .inviteCreate(
                channel: try members.string("channel"), uses: try members.optionalU32("uses"),
                expiresInSecs: try members.optionalU64("expires_in_secs"))
        case "invite_revoke": return .inviteRevoke(token: try members.string("token"))
        case "kick": return .kick(channel: try members.string("channel"), target: try members.string("target"))
        case "ban": return .ban(channel: try members.string("channel"), user: try members.string("user"))
        case "user_remove": return .userRemove(username: try members.string("username"))
        case "machine_remove": return .machineRemove(name: try members.string("name"))
        case "machine_add": return .machineAdd(name: try members.string("name"), pubkey: try members.bytes("pubkey"))
        case "acl_list": return .aclList(channel: try members.string("channel"))
        case "unban": return .unban(channel: try members.string("channel"), user: try members.string("user"))
        case "ban_list": return .banList(channel: try members.string("channel"))
        default: return .inviteList(channel: try members.string("channel"))
        }
    }

    private static func readError(
        _ kind: String, _ members: JSONMemberReader
    ) throws(FrameJSONError) -> ProtocolError {
        switch kind {
        case "version_mismatch":
            return .versionMismatch(ours: try members.u32("ours"), theirs: try members.u32("theirs"))
        case "malformed_frame": return .malformedFrame(try members.string("message"))
        case "unauthorized": return .unauthorized(try members.string("message"))
        case "not_found": return .notFound(try members.string("message"))
        default: return .internal(try members.string("message"))
        }
    }

    private static func readChannelInfo(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> ChannelInfo {
        let members = try JSONMemberReader(value, path: path, allowed: ["name", "visibility", "member"])
        return ChannelInfo(
            name: try members.string("name"), visibility: try members.visibility("visibility"),
            member: try members.bool("member"))
    }

    private static func readMachineInfo(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> MachineInfo {
        let members = try JSONMemberReader(value, path: path, allowed: ["name", "pubkey", "added_at"])
        return MachineInfo(
            name: try members.string("name"), pubkey: try members.string("pubkey"),
            addedAt: try members.string("added_at"))
    }

    private static func readInviteInfo(_ value: JSONValue, _ path: String) throws(FrameJSONError) -> InviteInfo {
        let members = try JSONMemberReader(value, path: path, allowed: ["token", "uses_remaining", "expires_at"])
        return InviteInfo(
            token: try members.string("token"), usesRemaining: try members.optionalI64("uses_remaining"),
            expiresAt: try members.optionalString("expires_at"))
    }

    private static func readHistoryMessage(
        _ value: JSONValue, _ path: String
    ) throws(FrameJSONError) -> HistoryMessage {
        let members = try JSONMemberReader(value, path: path, allowed: ["from", "ts_ms", "payload"])
        return HistoryMessage(
            from: try members.sessionPath("from"), tsMs: try members.i64("ts_ms"),
            payload: try members.payload("payload"))
    }
}
