import Testing
@testable import ConclaveWire

/// Hand-written vectors for what the unpublished ones cover (PROTOCOL.md §11): every length and integer
/// boundary, non-ASCII text, empty and absent values, every admin op and error kind, encrypted payloads
/// and object-form paths. Each is checked against its bytes and round-tripped through bytes and JSON.
@Suite struct EdgeVectorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var frame: ProtocolMessage
        var hex: String
        /// The expected JSON, compared structurally, where the form itself is the point.
        var json: String?

        init(_ name: String, _ frame: ProtocolMessage, _ hex: String, json: String? = nil) {
            self.name = name
            self.frame = frame
            self.hex = hex.filter { $0 != " " }
            self.json = json
        }

        var testDescription: String { name }
    }

    static func text(_ count: Int) -> String { String(repeating: "a", count: count) }
    static func textHex(_ count: Int) -> String { String(repeating: "61", count: count) }
    static let ops = "036f7073"
    static let razel = SessionPath(user: "aaron", machine: "workstation", session: "razel")
    static let razelHex = "056161726f6e 0b776f726b73746174696f6e 0572617a656c"

    static let lengths: [Case] = [
        Case("length 0", .leave(channel: ""), "06 00"),
        Case("length 250", .leave(channel: text(250)), "06 fa" + textHex(250)),
        Case("length 251", .leave(channel: text(251)), "06 fbfb00" + textHex(251)),
        Case("length 65535", .leave(channel: text(65535)), "06 fbffff" + textHex(65535)),
        Case("length 65536", .leave(channel: text(65536)), "06 fc00000100" + textHex(65536)),
        Case("bytes length 251", .challenge(nonce: Array(repeating: 7, count: 251)),
             "01 fbfb00" + String(repeating: "07", count: 251)),
        Case("250 users", .userList(users: Array(repeating: "u", count: 250)),
             "18 fa" + String(repeating: "0175", count: 250)),
        Case("251 users", .userList(users: Array(repeating: "u", count: 251)),
             "18 fbfb00" + String(repeating: "0175", count: 251)),
    ]

    static let integers: [Case] = [
        Case("u32 0", .hello(protocolVersion: 0, session: "s"), "00 00 0173"),
        Case("u32 250", .hello(protocolVersion: 250, session: "s"), "00 fa 0173"),
        Case("u32 251", .hello(protocolVersion: 251, session: "s"), "00 fbfb00 0173"),
        Case("u32 65535", .hello(protocolVersion: 65535, session: "s"), "00 fbffff 0173"),
        Case("u32 65536", .hello(protocolVersion: 65536, session: "s"), "00 fc00000100 0173"),
        Case("u32 max", .hello(protocolVersion: .max, session: "s"), "00 fcffffffff 0173",
             json: #"{"type":"hello","protocol_version":4294967295,"session":"s"}"#),
        Case("version mismatch u32 max", .error(.versionMismatch(ours: 1, theirs: .max)), "0c 00 01 fcffffffff"),
        Case("u64 2^32", .admin(.inviteCreate(channel: "ops", uses: 65536, expiresInSecs: 1 << 32)),
             "08 06 \(ops) 01 fc00000100 01 fd0000000001000000"),
        Case("u64 2^32-1", .admin(.inviteCreate(channel: "ops", uses: nil, expiresInSecs: (1 << 32) - 1)),
             "08 06 \(ops) 00 01 fcffffffff"),
        Case("u64 2^63-1", .admin(.inviteCreate(channel: "ops", uses: 0, expiresInSecs: UInt64(Int64.max))),
             "08 06 \(ops) 01 00 01 fdffffffffffffff7f",
             json: #"{"type":"admin","op":"invite_create","channel":"ops","uses":0,"#
                + #""expires_in_secs":9223372036854775807}"#),
        Case("i64 0", .readSince(channel: "ops", sinceMs: 0), "1a \(ops) 00"),
        Case("i64 -1", .readSince(channel: "ops", sinceMs: -1), "1a \(ops) 01"),
        Case("i64 1", .readSince(channel: "ops", sinceMs: 1), "1a \(ops) 02"),
        Case("i64 125", .readSince(channel: "ops", sinceMs: 125), "1a \(ops) fa"),
        Case("i64 -126", .readSince(channel: "ops", sinceMs: -126), "1a \(ops) fbfb00"),
        Case("i64 126", .readSince(channel: "ops", sinceMs: 126), "1a \(ops) fbfc00"),
        Case("i64 -32768", .readSince(channel: "ops", sinceMs: -32768), "1a \(ops) fbffff"),
        Case("i64 32768", .readSince(channel: "ops", sinceMs: 32768), "1a \(ops) fc00000100"),
        Case("i64 2^31", .readSince(channel: "ops", sinceMs: 1 << 31), "1a \(ops) fd0000000001000000"),
        Case("i64 ms timestamp", .readSince(channel: "ops", sinceMs: 1_751_500_000_000),
             "1a \(ops) fd0016129b2f030000"),
        Case("i64 max", .readSince(channel: "ops", sinceMs: .max), "1a \(ops) fdfeffffffffffffff"),
        Case("i64 min", .readSince(channel: "ops", sinceMs: .min), "1a \(ops) fdffffffffffffffff",
             json: #"{"type":"read_since","channel":"ops","since_ms":-9223372036854775808}"#),
        Case("uses_remaining extremes", .inviteList(invites: [
            InviteInfo(token: "t", usesRemaining: .min, expiresAt: nil),
            InviteInfo(token: "u", usesRemaining: .max, expiresAt: "2026-11-25T00:00:00+00:00"),
        ]), "19 02 0174 01fdffffffffffffffff 00 0175 01fdfeffffffffffffff 01 19" + hexOf("2026-11-25T00:00:00+00:00")),
    ]

    static let textsAndAbsence: [Case] = [
        Case("non-ASCII", .channelMsg(channel: "café", from: razel, payload: .plain("héllo 🌍")),
             "09 05636166c3a9" + razelHex + "00 0b68c3a96c6c6f20f09f8c8d",
             json: #"{"type":"channel_msg","channel":"café","from":"aaron/workstation/razel","#
                + #""payload":{"plain":"héllo 🌍"}}"#),
        Case("NUL in text", .channelMsg(channel: "ops", from: razel, payload: .plain("a\u{0}b")),
             "09 \(ops)" + razelHex + "00 03610062",
             json: #"{"type":"channel_msg","channel":"ops","from":"aaron/workstation/razel","#
                + #""payload":{"plain":"a\u0000b"}}"#),
        Case("empty session", .hello(protocolVersion: 1, session: ""), "00 01 00"),
        Case("empty nonce", .challenge(nonce: []), "01 00", json: #"{"type":"challenge","nonce":""}"#),
        Case("ack without detail", .ack(detail: nil), "10 00", json: #"{"type":"ack","detail":null}"#),
        Case("ack with empty detail", .ack(detail: ""), "10 01 00"),
        Case("join with token", .join(channel: "ops", token: "tok"), "05 \(ops) 01 03746f6b"),
        Case("who everywhere", .who(channel: nil), "07 00", json: #"{"type":"who","channel":null}"#),
        Case("presence empty", .presence(channel: nil, sessions: []), "0b 00 00"),
        Case("empty lists", .channelList(channels: []), "0e 00"),
        Case("no machines", .machineList(machines: []), "16 00"),
        Case("no users", .userList(users: []), "18 00"),
        Case("no invites", .inviteList(invites: []), "19 00"),
        Case("no history", .history(channel: "ops", messages: []), "1b \(ops) 00"),
        Case("server admin", .serverInfo(admin: true), "14 01"),
        Case("ping", .ping, "12"),
        Case("list channels", .listChannels, "0d"),
        Case("auth short keys", .auth(pubkey: [1, 2], signature: [3]), "02 020102 0103",
             json: #"{"type":"auth","pubkey":"AQI","signature":"Aw"}"#),
        Case("register", .register(username: "u", machine: "m", pubkey: [0]), "04 0175 016d 0100"),
        Case("pong", .pong, "13"),
        Case("list machines", .listMachines, "15"),
        Case("list users", .listUsers, "17"),
        Case("joined", .joined(channel: "ops"), "0f \(ops)"),
        Case("invite token", .inviteToken(token: "t"), "11 0174"),
        Case("channel list all tiers", .channelList(channels: [
            ChannelInfo(name: "a", visibility: .public, member: true),
            ChannelInfo(name: "b", visibility: .unlisted, member: false),
            ChannelInfo(name: "c", visibility: .private, member: true),
        ]), "0e 03 0161 00 01 0162 01 00 0163 02 01"),
        Case("machine list", .machineList(machines: [MachineInfo(name: "m", pubkey: "k", addedAt: "t")]),
             "16 01 016d 016b 0174",
             json: #"{"type":"machine_list","machines":[{"name":"m","pubkey":"k","added_at":"t"}]}"#),
    ]

    static let payloadsAndPaths: [Case] = [
        Case("encrypted with key id",
             .channelMsg(channel: "ops", from: razel,
                         payload: .encrypted(Envelope(ciphertext: [0xFB, 0xFF, 0x00], keyID: "k1"))),
             "09 \(ops)" + razelHex + "01 03fbff00 01026b31",
             json: #"{"type":"channel_msg","channel":"ops","from":"aaron/workstation/razel","#
                + #""payload":{"encrypted":{"ciphertext":"-_8A","key_id":"k1"}}}"#),
        Case("encrypted without key id",
             .whisper(from: razel, target: razel, payload: .encrypted(Envelope(ciphertext: [], keyID: nil))),
             "0a" + razelHex + razelHex + "01 00 00"),
        Case("history mixed payloads", .history(channel: "ops", messages: [
            HistoryMessage(from: razel, tsMs: 1_751_500_000_123, payload: .plain("hello")),
            HistoryMessage(from: razel, tsMs: -1, payload: .encrypted(Envelope(ciphertext: [1], keyID: nil))),
        ]), "1b \(ops) 02" + razelHex + "fdf616129b2f030000 00 0568656c6c6f" + razelHex + "01 01 0101 00"),
        Case("object-form path: slash",
             .established(path: SessionPath(user: "aaron", machine: "lap/top", session: "main")),
             "03 056161726f6e 076c61702f746f70 046d61696e",
             json: #"{"type":"established","path":{"user":"aaron","machine":"lap/top","session":"main"}}"#),
        Case("object-form path: empty",
             .whisper(from: razel, target: SessionPath(user: "", machine: "m", session: ""), payload: .plain("")),
             "0a" + razelHex + "00 016d 00 00 00",
             json: #"{"type":"whisper","from":"aaron/workstation/razel","#
                + #""target":{"user":"","machine":"m","session":""},"payload":{"plain":""}}"#),
        Case("object-form path in presence and history",
             .presence(channel: "ops", sessions: [razel, SessionPath(user: "a/", machine: "b", session: "c")]),
             "0b 01\(ops) 02" + razelHex + "02612f 0162 0163"),
    ]

    static let adminOps: [Case] = [
        Case("create_channel", .admin(.createChannel(name: "ops", visibility: .public)), "08 00 \(ops) 00"),
        Case("delete_channel", .admin(.deleteChannel(name: "ops")), "08 01 \(ops)"),
        Case("rename_channel", .admin(.renameChannel(name: "ops", newName: "dev")), "08 02 \(ops) 03646576",
             json: #"{"type":"admin","op":"rename_channel","name":"ops","new_name":"dev"}"#),
        Case("set_visibility", .admin(.setVisibility(name: "ops", visibility: .unlisted)), "08 03 \(ops) 01"),
        Case("acl_add", .admin(.aclAdd(channel: "ops", user: "u")), "08 04 \(ops) 0175"),
        Case("acl_remove", .admin(.aclRemove(channel: "ops", user: "u")), "08 05 \(ops) 0175"),
        Case("invite_create", .admin(.inviteCreate(channel: "ops", uses: 5, expiresInSecs: 86400)),
             "08 06 \(ops) 0105 01fc80510100",
             json: #"{"type":"admin","op":"invite_create","channel":"ops","uses":5,"expires_in_secs":86400}"#),
        Case("invite_revoke", .admin(.inviteRevoke(token: "t")), "08 07 0174"),
        Case("kick", .admin(.kick(channel: "ops", target: "a/b/c")), "08 08 \(ops) 05612f622f63"),
        Case("ban", .admin(.ban(channel: "ops", user: "u")), "08 09 \(ops) 0175"),
        Case("user_remove", .admin(.userRemove(username: "u")), "08 0a 0175",
             json: #"{"type":"admin","op":"user_remove","username":"u"}"#),
        Case("machine_remove", .admin(.machineRemove(name: "m")), "08 0b 016d"),
        Case("machine_add", .admin(.machineAdd(name: "m", pubkey: [0, 1, 2])), "08 0c 016d 03000102",
             json: #"{"type":"admin","op":"machine_add","name":"m","pubkey":"AAEC"}"#),
        Case("acl_list", .admin(.aclList(channel: "ops")), "08 0d \(ops)"),
        Case("unban", .admin(.unban(channel: "ops", user: "u")), "08 0e \(ops) 0175"),
        Case("ban_list", .admin(.banList(channel: "ops")), "08 0f \(ops)"),
        Case("invite_list op", .admin(.inviteList(channel: "ops")), "08 10 \(ops)",
             json: #"{"type":"admin","op":"invite_list","channel":"ops"}"#),
    ]

    static let errors: [Case] = [
        Case("version_mismatch", .error(.versionMismatch(ours: 1, theirs: 2)), "0c 00 01 02",
             json: #"{"type":"error","error":"version_mismatch","ours":1,"theirs":2}"#),
        Case("malformed_frame", .error(.malformedFrame("m")), "0c 01 016d",
             json: #"{"type":"error","error":"malformed_frame","message":"m"}"#),
        Case("unauthorized", .error(.unauthorized("u")), "0c 02 0175"),
        Case("not_found", .error(.notFound("")), "0c 03 00"),
        Case("internal", .error(.internal("i")), "0c 04 0169"),
    ]

    static let all = lengths + integers + textsAndAbsence + payloadsAndPaths + adminOps + errors

    @Test(arguments: all)
    func edge(_ vector: Case) throws {
        let expected = try #require(bytes(hex: vector.hex), "expected bytes are not hex")
        #expect(vector.frame.encoded() == expected)
        #expect(try ProtocolMessage(decoding: expected) == vector.frame)

        let object = vector.frame.jsonObject()
        #expect(object.names.first == "type")
        #expect(try ProtocolMessage(json: object) == vector.frame)
        #expect(try ProtocolMessage(jsonLine: vector.frame.jsonLine()) == vector.frame)
        if let json = vector.json {
            #expect(try JSONValue(parsing: json) == .object(object))
        }
    }

    @Test func everyFrameTypeAdminOpAndErrorKindIsCovered() {
        let frames = Set(Self.all.map(\.frame.typeName))
        #expect(frames.count == 28)
        let ops = Set(Self.all.compactMap { if case let .admin(op) = $0.frame { op.name } else { nil } })
        #expect(ops.count == 17)
        let kinds = Set(Self.all.compactMap { if case let .error(error) = $0.frame { error.kindName } else { nil } })
        #expect(kinds.count == 5)
    }

    /// §3.1 and §3.2 examples, byte for byte.
    @Test func varintAndZigZagExamples() throws {
        let unsigned: [(UInt64, String)] = [
            (0, "00"), (250, "fa"), (251, "fbfb00"), (65535, "fbffff"), (65536, "fc00000100"),
            (1 << 32, "fd0000000001000000"), (.max, "fdffffffffffffffff"),
        ]
        for (value, expected) in unsigned {
            var writer = WireWriter()
            writer.writeVarint(value)
            #expect(hex(writer.bytes) == expected, "varint \(value)")
        }
        let signed: [(Int64, String)] = [
            (0, "00"), (-1, "01"), (1, "02"), (125, "fa"), (-126, "fbfb00"), (126, "fbfc00"),
            (1_751_500_000_000, "fd0016129b2f030000"), (.max, "fdfeffffffffffffff"), (.min, "fdffffffffffffffff"),
        ]
        for (value, expected) in signed {
            var writer = WireWriter()
            writer.writeI64(value)
            #expect(hex(writer.bytes) == expected, "zig-zag \(value)")
            let decoded = try ProtocolMessage(decoding: bytes(hex: "1a00" + expected)!)
            #expect(decoded == .readSince(channel: "", sinceMs: value))
        }
    }

    /// §3.4.
    @Test func workedExamples() throws {
        #expect(hex(ProtocolMessage.hello(protocolVersion: 1, session: "razel").encoded()) == "00010572617a656c")
        let message = ProtocolMessage.channelMsg(channel: "ops", from: Self.razel, payload: .plain("hello, agents"))
        let expected = "09 036f7073 056161726f6e 0b776f726b73746174696f6e 0572617a656c 00 0d68656c6c6f2c206167656e7473"
        #expect(hex(message.encoded()) == expected.filter { $0 != " " })
    }

    @Test func payloadAloneRoundTrips() throws {
        let payloads: [Payload] = [
            .plain(""), .plain("héllo"), .encrypted(Envelope(ciphertext: [1, 2], keyID: nil)),
            .encrypted(Envelope(ciphertext: [], keyID: "k")),
        ]
        for payload in payloads {
            #expect(try Payload(decoding: payload.encoded()) == payload)
        }
        #expect(hex(Payload.plain("hi").encoded()) == "00026869")
        #expect(throws: FrameDecodingError(.trailingBytes, at: 4)) { try Payload(decoding: bytes(hex: "0002686900")!) }
    }
}

private func hexOf(_ text: String) -> String { hex(Array(text.utf8)) }

