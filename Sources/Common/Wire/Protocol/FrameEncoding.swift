/// The bincode encoding of frames and their parts (PROTOCOL.md §3.5, §3.6): fields in wire order,
/// variant indices in declaration order.
extension ProtocolMessage {
    /// The exact bytes of this frame as one WebSocket binary message.
    ///
    /// The caller enforces the 16 MiB cap (`ProtocolMessage.maximumEncodedSize`) before sending.
    package func encoded() -> [UInt8] {
        var writer = WireWriter()
        write(to: &writer)
        return writer.bytes
    }

    func write(to writer: inout WireWriter) {
        switch self {
        case let .hello(protocolVersion, session):
            writer.writeVariant(0)
            writer.writeU32(protocolVersion)
            writer.writeString(session)
        case let .challenge(nonce):
            writer.writeVariant(1)
            writer.writeBytes(nonce)
        case let .auth(pubkey, signature):
            writer.writeVariant(2)
            writer.writeBytes(pubkey)
            writer.writeBytes(signature)
        case let .established(path):
            writer.writeVariant(3)
            path.write(to: &writer)
        case let .register(username, machine, pubkey):
            writer.writeVariant(4)
            writer.writeString(username)
            writer.writeString(machine)
            writer.writeBytes(pubkey)
        case let .join(channel, token):
            writer.writeVariant(5)
            writer.writeString(channel)
            writer.writeOptional(token) { $0.writeString($1) }
        case let .leave(channel):
            writer.writeVariant(6)
            writer.writeString(channel)
        case let .who(channel):
            writer.writeVariant(7)
            writer.writeOptional(channel) { $0.writeString($1) }
        case let .admin(op):
            writer.writeVariant(8)
            op.write(to: &writer)
        case let .channelMsg(channel, from, payload):
            writer.writeVariant(9)
            writer.writeString(channel)
            from.write(to: &writer)
            payload.write(to: &writer)
        case let .whisper(from, target, payload):
            writer.writeVariant(10)
            from.write(to: &writer)
            target.write(to: &writer)
            payload.write(to: &writer)
        case let .presence(channel, sessions):
            writer.writeVariant(11)
            writer.writeOptional(channel) { $0.writeString($1) }
            writer.writeSequence(sessions) { $1.write(to: &$0) }
        case let .error(error):
            writer.writeVariant(12)
            error.write(to: &writer)
        case .listChannels:
            writer.writeVariant(13)
        case let .channelList(channels):
            writer.writeVariant(14)
            writer.writeSequence(channels) { $1.write(to: &$0) }
        case let .joined(channel):
            writer.writeVariant(15)
            writer.writeString(channel)
        case let .ack(detail):
            writer.writeVariant(16)
            writer.writeOptional(detail) { $0.writeString($1) }
        case let .inviteToken(token):
            writer.writeVariant(17)
            writer.writeString(token)
        case .ping:
            writer.writeVariant(18)
        case .pong:
            writer.writeVariant(19)
        case let .serverInfo(admin):
            writer.writeVariant(20)
            writer.writeBool(admin)
        case .listMachines:
            writer.writeVariant(21)
        case let .machineList(machines):
            writer.writeVariant(22)
            writer.writeSequence(machines) { $1.write(to: &$0) }
        case .listUsers:
            writer.writeVariant(23)
        case let .userList(users):
            writer.writeVariant(24)
            writer.writeSequence(users) { $0.writeString($1) }
        case let .inviteList(invites):
            writer.writeVariant(25)
            writer.writeSequence(invites) { $1.write(to: &$0) }
        case let .readSince(channel, sinceMs):
            writer.writeVariant(26)
            writer.writeString(channel)
            writer.writeI64(sinceMs)
        case let .history(channel, messages):
            writer.writeVariant(27)
            writer.writeString(channel)
            writer.writeSequence(messages) { $1.write(to: &$0) }
        }
    }
}

extension AdminOp {
    func write(to writer: inout WireWriter) {
        switch self {
        case let .createChannel(name, visibility):
            writer.writeVariant(0)
            writer.writeString(name)
            writer.writeVariant(visibility.rawValue)
        case let .deleteChannel(name):
            writer.writeVariant(1)
            writer.writeString(name)
        case let .renameChannel(name, newName):
            writer.writeVariant(2)
            writer.writeString(name)
            writer.writeString(newName)
        case let .setVisibility(name, visibility):
            writer.writeVariant(3)
            writer.writeString(name)
            writer.writeVariant(visibility.rawValue)
        case let .aclAdd(channel, user):
            writer.writeVariant(4)
            writer.writeString(channel)
            writer.writeString(user)
        case let .aclRemove(channel, user):
            writer.writeVariant(5)
            writer.writeString(channel)
            writer.writeString(user)
        case let .inviteCreate(channel, uses, expiresInSecs):
            writer.writeVariant(6)
            writer.writeString(channel)
            writer.writeOptional(uses) { $0.writeU32($1) }
            writer.writeOptional(expiresInSecs) { $0.writeVarint($1) }
        case let .inviteRevoke(token):
            writer.writeVariant(7)
            writer.writeString(token)
        case let .kick(channel, target):
            writer.writeVariant(8)
            writer.writeString(channel)
            writer.writeString(target)
        case let .ban(channel, user):
            writer.writeVariant(9)
            writer.writeString(channel)
            writer.writeString(user)
        case let .userRemove(username):
            writer.writeVariant(10)
            writer.writeString(username)
        case let .machineRemove(name):
            writer.writeVariant(11)
            writer.writeString(name)
        case let .machineAdd(name, pubkey):
            writer.writeVariant(12)
            writer.writeString(name)
            writer.writeBytes(pubkey)
        case let .aclList(channel):
            writer.writeVariant(13)
            writer.writeString(channel)
        case let .unban(channel, user):
            writer.writeVariant(14)
            writer.writeString(channel)
            writer.writeString(user)
        case let .banList(channel):
            writer.writeVariant(15)
            writer.writeString(channel)
        case let .inviteList(channel):
            writer.writeVariant(16)
            writer.writeString(channel)
        }
    }
}

extension ProtocolError {
    func write(to writer: inout WireWriter) {
        switch self {
        case let .versionMismatch(ours, theirs):
            writer.writeVariant(0)
            writer.writeU32(ours)
            writer.writeU32(theirs)
        case let .malformedFrame(text):
            writer.writeVariant(1)
            writer.writeString(text)
        case let .unauthorized(text):
            writer.writeVariant(2)
            writer.writeString(text)
        case let .notFound(text):
            writer.writeVariant(3)
            writer.writeString(text)
        case let .internal(text):
            writer.writeVariant(4)
            writer.writeString(text)
        }
    }
}

extension Payload {
    /// The bincode encoding of this payload alone, as the server stores it with each history row.
    package func encoded() -> [UInt8] {
        var writer = WireWriter(capacity: 64)
        write(to: &writer)
        return writer.bytes
    }

    func write(to writer: inout WireWriter) {
        switch self {
        case let .plain(text):
            writer.writeVariant(0)
            writer.writeString(text)
        case let .encrypted(envelope):
            writer.writeVariant(1)
            writer.writeBytes(envelope.ciphertext)
            writer.writeOptional(envelope.keyID) { $0.writeString($1) }
        }
    }
}

extension SessionPath {
    func write(to writer: inout WireWriter) {
        writer.writeString(user)
        writer.writeString(machine)
        writer.writeString(session)
    }
}

extension ChannelInfo {
    func write(to writer: inout WireWriter) {
        writer.writeString(name)
        writer.writeVariant(visibility.rawValue)
        writer.writeBool(member)
    }
}

extension MachineInfo {
    func write(to writer: inout WireWriter) {
        writer.writeString(name)
        writer.writeString(pubkey)
        writer.writeString(addedAt)
    }
}

extension InviteInfo {
    func write(to writer: inout WireWriter) {
        writer.writeString(token)
        writer.writeOptional(usesRemaining) { $0.writeI64($1) }
        writer.writeOptional(expiresAt) { $0.writeString($1) }
    }
}

extension HistoryMessage {
    func write(to writer: inout WireWriter) {
        from.write(to: &writer)
        writer.writeI64(tsMs)
        payload.write(to: &writer)
    }
}
