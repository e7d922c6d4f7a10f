import Testing
@testable import ConclaveWire

/// Seeded random frames of every kind round-trip through bytes and through JSON unchanged.
@Suite struct FrameRoundTripTests {
    @Test func randomFramesRoundTrip() throws {
        var random = FrameGenerator(seed: 2026)
        for _ in 0..<3000 {
            let frame = random.frame()
            let encoded = frame.encoded()
            #expect(try ProtocolMessage(decoding: encoded) == frame)
            #expect(try ProtocolMessage(jsonLine: frame.jsonLine()) == frame, "\(frame.jsonLine())")
            for index in encoded.indices.dropLast() where index.isMultiple(of: 7) {
                #expect(throws: FrameDecodingError.self) { try ProtocolMessage(decoding: encoded[..<index]) }
            }
        }
    }
}

/// Builds arbitrary frames, biased towards the edges: boundary integers, empty, non-ASCII and `/` text.
struct FrameGenerator {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    private mutating func below(_ bound: Int) -> Int { Int(generator.next() % UInt64(bound)) }

    mutating func text() -> String {
        let pieces = [
            "", "a", "ops", "/", "é", "🌍", "\u{0}", "\"", "\\", "\n", "日本", String(repeating: "x", count: 251),
        ]
        return (0..<below(4)).map { _ in pieces[below(pieces.count)] }.joined()
    }

    mutating func bytes() -> [UInt8] { (0..<below(70)).map { _ in UInt8(truncatingIfNeeded: generator.next()) } }

    mutating func u32() -> UInt32 {
        [0, 1, 250, 251, 65535, 65536, .max, UInt32(truncatingIfNeeded: generator.next())][below(8)]
    }

    mutating func i64() -> Int64 {
        [0, -1, 1, 125, -126, 126, .min, .max, Int64(bitPattern: generator.next())][below(9)]
    }

    mutating func u64() -> UInt64 { [0, 1 << 32, UInt64(Int64.max), generator.next() >> 1][below(4)] }

    mutating func optional<Value>(_ make: (inout FrameGenerator) -> Value) -> Value? {
        below(3) == 0 ? nil : make(&self)
    }

    mutating func list<Value>(_ make: (inout FrameGenerator) -> Value) -> [Value] {
        (0..<below(4)).map { _ in make(&self) }
    }

    mutating func path() -> SessionPath { SessionPath(user: text(), machine: text(), session: text()) }

    mutating func visibility() -> Visibility { Visibility.allCases[below(3)] }

    mutating func payload() -> Payload {
        below(2) == 0 ? .plain(text()) : .encrypted(Envelope(ciphertext: bytes(), keyID: optional { $0.text() }))
    }

    mutating func adminOp() -> AdminOp {
        switch below(17) {
        case 0: .createChannel(name: text(), visibility: visibility())
        case 1: .deleteChannel(name: text())
        case 2: .renameChannel(name: text(), newName: text())
        case 3: .setVisibility(name: text(), visibility: visibility())
        case 4: .aclAdd(channel: text(), user: text())
        case 5: .aclRemove(channel: text(), user: text())
        case 6: .inviteCreate(channel: text(), uses: optional { $0.u32() }, expiresInSecs: optional { $0.u64() })
        case 7: .inviteRevoke(token: text())
        case 8: .kick(channel: text(), target: text())
        case 9: .ban(channel: text(), user: text())
        case 10: .userRemove(username: text())
        case 11: .machineRemove(name: text())
        case 12: .machineAdd(name: text(), pubkey: bytes())
        case 13: .aclList(channel: text())
        case 14: .unban(channel: text(), user: text())
        case 15: .banList(channel: text())
        default: .inviteList(channel: text())
        }
    }

    mutating func protocolError() -> ProtocolError {
        switch below(5) {
        case 0: .versionMismatch(ours: u32(), theirs: u32())
        case 1: .malformedFrame(text())
        case 2: .unauthorized(text())
        case 3: .notFound(text())
        default: .internal(text())
        }
    }

    mutating func frame() -> ProtocolMessage {
        switch below(28) {
        case 0: .hello(protocolVersion: u32(), session: text())
        case 1: .challenge(nonce: bytes())
        case 2: .auth(pubkey: bytes(), signature: bytes())
        case 3: .established(path: path())
        case 4: .register(username: text(), machine: text(), pubkey: bytes())
        case 5: .join(channel: text(), token: optional { $0.text() })
        case 6: .leave(channel: text())
        case 7: .who(channel: optional { $0.text() })
        case 8: .admin(adminOp())
        case 9: .channelMsg(channel: text(), from: path(), payload: payload())
        case 10: .whisper(from: path(), target: path(), payload: payload())
        case 11: .presence(channel: optional { $0.text() }, sessions: list { $0.path() })
        case 12: .error(protocolError())
        case 13: .listChannels
        case 14:
            .channelList(channels: list {
                ChannelInfo(name: $0.text(), visibility: $0.visibility(), member: $0.below(2) == 0)
            })
        case 15: .joined(channel: text())
        case 16: .ack(detail: optional { $0.text() })
        case 17: .inviteToken(token: text())
        case 18: .ping
        case 19: .pong
        case 20: .serverInfo(admin: below(2) == 0)
        case 21: .listMachines
        case 22: .machineList(machines: list { MachineInfo(name: $0.text(), pubkey: $0.text(), addedAt: $0.text()) })
        case 23: .listUsers
        case 24: .userList(users: list { $0.text() })
        case 25:
            .inviteList(invites: list {
                InviteInfo(
                    token: $0.text(), usesRemaining: $0.optional { $0.i64() }, expiresAt: $0.optional { $0.text() })
            })
        case 26: .readSince(channel: text(), sinceMs: i64())
        default:
            .history(channel: text(), messages: list {
                HistoryMessage(from: $0.path(), tsMs: $0.i64(), payload: $0.payload())
            })
        }
    }
}
