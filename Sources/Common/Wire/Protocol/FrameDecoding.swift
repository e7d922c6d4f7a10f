/// Strict decoding of frames and payloads from their bincode bytes (PROTOCOL.md §3).
///
/// Compared with upstream this decoder is stricter in one way the spec allows: bytes left over after a
/// complete frame are refused (`trailingBytes`) rather than ignored (§3.3, §10 item 19). Non-minimal
/// varints are accepted, as upstream accepts them.
extension ProtocolMessage {
    /// The largest message a peer may send or accept: 16 MiB (§2.4).
    package static let maximumEncodedSize = WireReader.maximumMessageSize

    /// Decodes exactly one frame, which must fill `bytes` entirely.
    package init(decoding bytes: some Collection<UInt8>) throws(FrameDecodingError) {
        self = try withContiguousBytes(bytes, WireReader.readFrame)
    }

    /// Decodes exactly one frame, which must fill `bytes` entirely (the fast path for a received message).
    package init(decoding bytes: [UInt8]) throws(FrameDecodingError) {
        self = try bytes.withUnsafeBufferPointer { buffer throws(FrameDecodingError) in
            try WireReader.readFrame(buffer)
        }
    }

    /// Decodes exactly one frame, which must fill `bytes` entirely.
    package init(decoding bytes: ArraySlice<UInt8>) throws(FrameDecodingError) {
        self = try bytes.withUnsafeBufferPointer { buffer throws(FrameDecodingError) in
            try WireReader.readFrame(buffer)
        }
    }

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        switch try reader.readVariant(caseCount: 28) {
        case 0: self = .hello(protocolVersion: try reader.readU32(), session: try reader.readString())
        case 1: self = .challenge(nonce: try reader.readBytes())
        case 2: self = .auth(pubkey: try reader.readBytes(), signature: try reader.readBytes())
        case 3: self = .established(path: try SessionPath(from: &reader))
        case 4:
            self = .register(
                username: try reader.readString(), machine: try reader.readString(), pubkey: try reader.readBytes())
        case 5: self = .join(channel: try reader.readString(), token: try reader.readOptional(String.self))
        case 6: self = .leave(channel: try reader.readString())
        case 7: self = .who(channel: try reader.readOptional(String.self))
        case 8: self = .admin(try AdminOp(from: &reader))
        case 9:
            self = .channelMsg(
                channel: try reader.readString(), from: try SessionPath(from: &reader),
                payload: try Payload(from: &reader))
        case 10:
            self = .whisper(
                from: try SessionPath(from: &reader), target: try SessionPath(from: &reader),
                payload: try Payload(from: &reader))
        case 11:
            self = .presence(
                channel: try reader.readOptional(String.self), sessions: try reader.readSequence(of: SessionPath.self))
        case 12: self = .error(try ProtocolError(from: &reader))
        case 13: self = .listChannels
        case 14: self = .channelList(channels: try reader.readSequence(of: ChannelInfo.self))
        case 15: self = .joined(channel: try reader.readString())
        case 16: self = .ack(detail: try reader.readOptional(String.self))
        case 17: self = .inviteToken(token: try reader.readString())
        case 18: self = .ping
        case 19: self = .pong
        case 20: self = .serverInfo(admin: try reader.readBool())
        case 21: self = .listMachines
        case 22: self = .machineList(machines: try reader.readSequence(of: MachineInfo.self))
        case 23: self = .listUsers
        case 24: self = .userList(users: try reader.readSequence(of: String.self))
        case 25: self = .inviteList(invites: try reader.readSequence(of: InviteInfo.self))
        case 26: self = .readSince(channel: try reader.readString(), sinceMs: try reader.readI64())
        default:
            self = .history(
                channel: try reader.readString(), messages: try reader.readSequence(of: HistoryMessage.self))
        }
    }
}

extension Payload: WireDecodable {
    /// Decodes one payload alone (as stored with a history row), which must fill `bytes` entirely.
    package init(decoding bytes: some Collection<UInt8>) throws(FrameDecodingError) {
        self = try withContiguousBytes(bytes, WireReader.readPayload)
    }

    /// Decodes one payload alone, which must fill `bytes` entirely (the fast path for a stored row).
    package init(decoding bytes: [UInt8]) throws(FrameDecodingError) {
        self = try bytes.withUnsafeBufferPointer { buffer throws(FrameDecodingError) in
            try WireReader.readPayload(buffer)
        }
    }

    /// A variant index and the shortest content: a length byte.
    static let minimumEncodedSize = 2

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        switch try reader.readVariant(caseCount: 2) {
        case 0: self = .plain(try reader.readString())
        default:
            self = .encrypted(
                Envelope(ciphertext: try reader.readBytes(), keyID: try reader.readOptional(String.self)))
        }
    }
}

extension AdminOp {
    init(from reader: inout WireReader) throws(FrameDecodingError) {
        switch try reader.readVariant(caseCount: 17) {
        case 0: self = .createChannel(name: try reader.readString(), visibility: try Visibility(from: &reader))
        case 1: self = .deleteChannel(name: try reader.readString())
        case 2: self = .renameChannel(name: try reader.readString(), newName: try reader.readString())
        case 3: self = .setVisibility(name: try reader.readString(), visibility: try Visibility(from: &reader))
        case 4: self = .aclAdd(channel: try reader.readString(), user: try reader.readString())
        case 5: self = .aclRemove(channel: try reader.readString(), user: try reader.readString())
        case 6:
            self = .inviteCreate(
                channel: try reader.readString(), uses: try reader.readOptional(UInt32.self),
                expiresInSecs: try reader.readOptional(UInt64.self))
        case 7: self = .inviteRevoke(token: try reader.readString())
        case 8: self = .kick(channel: try reader.readString(), target: try reader.readString())
        case 9: self = .ban(channel: try reader.readString(), user: try reader.readString())
        case 10: self = .userRemove(username: try reader.readString())
        case 11: self = .machineRemove(name: try reader.readString())
        case 12: self = .machineAdd(name: try reader.readString(), pubkey: try reader.readBytes())
        case 13: self = .aclList(channel: try reader.readString())
        case 14: self = .unban(channel: try reader.readString(), user: try reader.readString())
        case 15: self = .banList(channel: try reader.readString())
        default: self = .inviteList(channel: try reader.readString())
        }
    }
}

extension ProtocolError {
    init(from reader: inout WireReader) throws(FrameDecodingError) {
        switch try reader.readVariant(caseCount: 5) {
        case 0: self = .versionMismatch(ours: try reader.readU32(), theirs: try reader.readU32())
        case 1: self = .malformedFrame(try reader.readString())
        case 2: self = .unauthorized(try reader.readString())
        case 3: self = .notFound(try reader.readString())
        default: self = .internal(try reader.readString())
        }
    }
}

extension Visibility {
    init(from reader: inout WireReader) throws(FrameDecodingError) {
        let start = reader.offset
        guard let visibility = Visibility(rawValue: try reader.readU32()) else {
            throw FrameDecodingError(.unknownVariant, at: start)
        }
        self = visibility
    }
}

extension SessionPath: WireDecodable {
    /// Three length bytes.
    static let minimumEncodedSize = 3

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        self.init(user: try reader.readString(), machine: try reader.readString(), session: try reader.readString())
    }
}

extension ChannelInfo: WireDecodable {
    /// A name length, a visibility and a bool.
    static let minimumEncodedSize = 3

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        self.init(
            name: try reader.readString(), visibility: try Visibility(from: &reader), member: try reader.readBool())
    }
}

extension MachineInfo: WireDecodable {
    /// Three length bytes.
    static let minimumEncodedSize = 3

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        self.init(name: try reader.readString(), pubkey: try reader.readString(), addedAt: try reader.readString())
    }
}

extension InviteInfo: WireDecodable {
    /// A token length and two option tags.
    static let minimumEncodedSize = 3

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        self.init(
            token: try reader.readString(), usesRemaining: try reader.readOptional(Int64.self),
            expiresAt: try reader.readOptional(String.self))
    }
}

extension HistoryMessage: WireDecodable {
    /// A path, a one-byte timestamp and a payload.
    static let minimumEncodedSize = SessionPath.minimumEncodedSize + 1 + Payload.minimumEncodedSize

    init(from reader: inout WireReader) throws(FrameDecodingError) {
        self.init(from: try SessionPath(from: &reader), tsMs: try reader.readI64(), payload: try Payload(from: &reader))
    }
}

/// Runs `decode` over the whole of `bytes`, viewed contiguously (copied only when the collection is not).
/// Input over the 16 MiB cap is refused before anything is copied.
private func withContiguousBytes<Value>(
    _ bytes: some Collection<UInt8>,
    _ decode: (UnsafeBufferPointer<UInt8>) throws(FrameDecodingError) -> Value
) throws(FrameDecodingError) -> Value {
    // `withContiguousStorageIfAvailable` only rethrows untyped errors, hence the `Result`.
    let result = bytes.withContiguousStorageIfAvailable { buffer in
        Result { () throws(FrameDecodingError) -> Value in try decode(buffer) }
    }
    if let result { return try result.get() }
    guard bytes.count <= WireReader.maximumMessageSize else {
        throw FrameDecodingError(.tooLarge, at: WireReader.maximumMessageSize)
    }
    return try Array(bytes).withUnsafeBufferPointer { buffer throws(FrameDecodingError) in try decode(buffer) }
}

extension WireReader {
    /// Reads one frame that must fill `buffer` exactly.
    static func readFrame(_ buffer: UnsafeBufferPointer<UInt8>) throws(FrameDecodingError) -> ProtocolMessage {
        var reader = try WireReader(wholeMessage: buffer)
        let frame = try ProtocolMessage(from: &reader)
        try reader.expectEnd()
        return frame
    }

    /// Reads one payload that must fill `buffer` exactly.
    static func readPayload(_ buffer: UnsafeBufferPointer<UInt8>) throws(FrameDecodingError) -> Payload {
        var reader = try WireReader(wholeMessage: buffer)
        let payload = try Payload(from: &reader)
        try reader.expectEnd()
        return payload
    }

    /// A reader over a whole message, refused when it exceeds the 16 MiB cap.
    private init(wholeMessage buffer: UnsafeBufferPointer<UInt8>) throws(FrameDecodingError) {
        guard buffer.count <= Self.maximumMessageSize else {
            throw FrameDecodingError(.tooLarge, at: Self.maximumMessageSize)
        }
        self.init(buffer)
    }
}
