import Testing
@testable import ConclaveClient
@testable import ConclaveWire

/// Input lines of conclave-connect (TOOLS.md "Input", "Bad input"): frames, shorthands, `_id`, refusals.
@Suite struct ConnectInputTests {
    private static let me = SessionPath(user: "alice", machine: "laptop", session: "work")

    private func parse(_ line: String, number: Int = 1) -> Result<ClientRequest, InputLineError>? {
        InputLine.parse(Array(line.utf8), number: number, defaultFrom: Self.me)
    }

    private func request(_ line: String) throws -> ClientRequest {
        try #require(parse(line)).get()
    }

    private func error(_ line: String, number: Int = 1) throws -> InputLineError {
        let result = try #require(parse(line, number: number))
        guard case let .failure(failure) = result else {
            throw InputLineError(line: 0, message: "accepted: \(line)")
        }
        return failure
    }

    @Test func anyClientFrameInTheJSONForm() throws {
        #expect(try request(#"{"type":"join","channel":"ops"}"#).frame == .join(channel: "ops", token: nil))
        #expect(try request(#"{"type":"list_channels"}"#).frame == .listChannels)
        #expect(try request(#"{"type":"read_since","channel":"ops","since_ms":0}"#).frame
            == .readSince(channel: "ops", sinceMs: 0))
        #expect(try request(#"{"type":"admin","op":"create_channel","name":"ops","visibility":"public"}"#).frame
            == .admin(.createChannel(name: "ops", visibility: .public)))
    }

    @Test func fromMayBeOmittedInPostsAndWhispers() throws {
        #expect(try request(#"{"type":"channel_msg","channel":"ops","payload":{"plain":"hi"}}"#).frame
            == .channelMsg(channel: "ops", from: Self.me, payload: .plain("hi")))
        let other = SessionPath(user: "bob", machine: "pc", session: "main")
        #expect(try request(#"{"type":"whisper","target":"bob/pc/main","payload":{"plain":"psst"}}"#).frame
            == .whisper(from: Self.me, target: other, payload: .plain("psst")))
        // A given `from` is kept (the server replaces it anyway).
        #expect(try request(#"{"type":"channel_msg","channel":"ops","from":"bob/pc/main","payload":{"plain":"x"}}"#)
            .frame == .channelMsg(channel: "ops", from: other, payload: .plain("x")))
    }

    @Test func shorthandsExpandToPostsAndWhispers() throws {
        let post = try request(#"{"channel":"ops","body":"deploy done","_id":7}"#)
        #expect(post.frame == .channelMsg(channel: "ops", from: Self.me, payload: .plain("deploy done")))
        #expect(post.correlation == .integer(7))
        let whisper = try request(#"{"to":"bob/pc/main","body":"hi","_id":"w1"}"#)
        #expect(whisper.frame == .whisper(
            from: Self.me, target: SessionPath(user: "bob", machine: "pc", session: "main"), payload: .plain("hi")))
        #expect(whisper.correlation == "w1")
        let objectPath = try request(#"{"to":{"user":"b","machine":"m/x","session":"s"},"body":""}"#)
        #expect(objectPath.frame == .whisper(
            from: Self.me, target: SessionPath(user: "b", machine: "m/x", session: "s"), payload: .plain("")))
    }

    @Test(arguments: [
        (#"{"body":"x"}"#, "needs \"channel\""),
        (#"{"channel":"ops","to":"a/b/c","body":"x"}"#, "not both"),
        (#"{"channel":"ops","body":5}"#, "member \"body\": expected a string, found an integer"),
        (#"{"channel":7,"body":"x"}"#, "member \"channel\": expected a string"),
        (#"{"to":"a/b","body":"x"}"#, "member \"to\""),
        (#"{"channel":"ops","body":"x","colour":"red"}"#, "unknown member \"colour\""),
    ])
    func badShorthandsAreRefused(_ line: String, _ fragment: String) throws {
        let error = try error(line)
        #expect(error.message.contains(fragment), "\(error.message)")
    }

    @Test func correlationIsAnyStringOrNumberEchoedVerbatim() throws {
        #expect(try request(#"{"type":"who","channel":null,"_id":"abc"}"#).correlation == "abc")
        #expect(try request(#"{"type":"who","_id":-12}"#).correlation == .integer(-12))
        #expect(try request(#"{"type":"who","_id":1.5}"#).correlation == .number(1.5))
        #expect(try request(#"{"type":"who"}"#).correlation == nil)
        #expect(try request(#"{"type":"who","_other":[1]}"#).frame == .who(channel: nil))
        let error = try error(#"{"type":"who","_id":[1]}"#)
        #expect(error.message.contains("\"_id\""))
        #expect(error.correlation == nil)
    }

    @Test(arguments: [
        ("not json", "invalid JSON"),
        ("[1,2]", "expected a JSON object, found an array"),
        (#"{"type":"shout"}"#, "unknown type \"shout\""),
        (#"{"type":"join"}"#, "missing member \"channel\""),
        (#"{"type":"join","channel":3}"#, "member \"channel\": expected a string"),
        (#"{"type":"joined","channel":"ops"}"#, "server-to-client"),
        (#"{"type":"ack","detail":null}"#, "server-to-client"),
        (#"{"type":"hello","protocol_version":1,"session":"s"}"#, "handshake"),
        (#"{"type":"register","username":"u","machine":"m","pubkey":""}"#, "handshake"),
        (#"{"type":"auth","pubkey":"","signature":""}"#, "handshake"),
    ])
    func badLinesAreRefusedWithAReason(_ line: String, _ fragment: String) throws {
        let error = try error(line, number: 4)
        #expect(error.line == 4)
        #expect(error.message.contains(fragment), "\(error.message)")
        #expect(error.exitStatus == .dataError)
    }

    @Test func theLinesIdIsKeptOnAnErrorWhenReadable() throws {
        let error = try error(#"{"type":"join","_id":"j1"}"#)
        #expect(error.correlation == "j1")
    }

    @Test func pingIsARequestAnsweredLocally() throws {
        #expect(try request(#"{"type":"ping","_id":1}"#).frame == .ping)
    }

    @Test func blankLinesAreSkipped() {
        #expect(parse("") == nil)
        #expect(parse("  \t\r") == nil)
    }

    @Test func aFrameOverSixteenMebibytesIsRefused() throws {
        let body = String(repeating: "a", count: InputLine.maximumFrameByteCount)
        let error = try error(#"{"channel":"ops","body":""# + body + #"","_id":9}"#)
        #expect(error.message.contains("16 MiB"))
        #expect(error.correlation == .integer(9))
    }

    @Test func hostileBytesNeverTrap() {
        var generator = SplitMix64(seed: 0xC0_FFEE)
        let fragments = Array(#"{}[]",:_idtypebodychannelto\u0000 1.5e999"#.utf8) + [0xFF, 0xC3, 0x0A]
        for _ in 0..<2000 {
            let length = Int(generator.next() % 48)
            let bytes = (0..<length).map { _ in fragments[Int(generator.next() % UInt64(fragments.count))] }
            _ = InputLine.parse(bytes, number: 1, defaultFrom: Self.me)
        }
    }
}
