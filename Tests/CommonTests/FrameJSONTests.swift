import Testing
@testable import ConclaveWire

/// The JSON form of frames (PROTOCOL.md §4): the writer's exact output and every rejection rule of §4.1.
@Suite struct FrameJSONTests {
    private static let razel = SessionPath(user: "aaron", machine: "workstation", session: "razel")

    /// §4.5, byte for byte: `type` first, fields in wire order, compact.
    @Test(arguments: [
        (ProtocolMessage.hello(protocolVersion: 1, session: "razel"),
         #"{"type":"hello","protocol_version":1,"session":"razel"}"#),
        (.join(channel: "ops", token: nil), #"{"type":"join","channel":"ops","token":null}"#),
        (.admin(.inviteCreate(channel: "ops", uses: 5, expiresInSecs: 86400)),
         #"{"type":"admin","op":"invite_create","channel":"ops","uses":5,"expires_in_secs":86400}"#),
        (.channelMsg(channel: "ops", from: razel, payload: .plain("hi")),
         #"{"type":"channel_msg","channel":"ops","from":"aaron/workstation/razel","payload":{"plain":"hi"}}"#),
        (.error(.notFound("channel `ops` not found")),
         #"{"type":"error","error":"not_found","message":"channel `ops` not found"}"#),
        (.error(.versionMismatch(ours: 1, theirs: 2)),
         #"{"type":"error","error":"version_mismatch","ours":1,"theirs":2}"#),
        (.history(
            channel: "ops", messages: [HistoryMessage(from: razel, tsMs: 1_751_500_000_123, payload: .plain("hello"))]),
         #"{"type":"history","channel":"ops","messages":[{"from":"aaron/workstation/razel","ts_ms":1751500000123,"#
            + #""payload":{"plain":"hello"}}]}"#),
        (.inviteList(invites: [InviteInfo(token: "t", usesRemaining: nil, expiresAt: nil)]),
         #"{"type":"invite_list","invites":[{"token":"t","uses_remaining":null,"expires_at":null}]}"#),
        (.channelMsg(channel: "ops", from: razel, payload: .encrypted(Envelope(ciphertext: [0xFF], keyID: nil))),
         #"{"type":"channel_msg","channel":"ops","from":"aaron/workstation/razel","#
            + #""payload":{"encrypted":{"ciphertext":"_w","key_id":null}}}"#),
    ])
    func writerOutputIsCanonical(_ frame: ProtocolMessage, _ line: String) throws {
        #expect(frame.jsonLine() == line)
        #expect(try ProtocolMessage(jsonLine: line) == frame)
    }

    @Test func annotationsAreSetAsideAndWrittenAfterTheFrame() throws {
        let line = #"{"_id":"r1","type":"who","_n":{"x":[1]},"channel":"ops"}"#
        let read = try AnnotatedFrame(jsonLine: line)
        #expect(read.frame == .who(channel: "ops"))
        #expect(read.annotations.names == ["_id", "_n"])
        #expect(read.annotations["_id"] == "r1")
        #expect(read.jsonLine() == #"{"type":"who","channel":"ops","_id":"r1","_n":{"x":[1]}}"#)

        var object = ProtocolMessage.ack(detail: nil).jsonObject()
        object["_server"] = "wss://example.org/"
        object["_rx_ms"] = 17
        #expect(JSONValue.object(object).serialized()
            == #"{"type":"ack","detail":null,"_server":"wss://example.org/","_rx_ms":17}"#)
        #expect(try ProtocolMessage(json: object) == .ack(detail: nil))
    }

    @Test func annotationsInNestedObjectsAreIgnored() throws {
        let line = #"{"type":"channel_msg","channel":"c","from":{"user":"u","machine":"m","session":"s","_x":1},"#
            + #""payload":{"plain":"p","_y":2}}"#
        let frame = try ProtocolMessage(jsonLine: line)
        #expect(frame == .channelMsg(channel: "c", from: SessionPath(user: "u", machine: "m", session: "s"),
                                     payload: .plain("p")))
    }

    @Test func omittedFromCanBeFilledIn() throws {
        let own = SessionPath(user: "a", machine: "b", session: "c")
        let other = SessionPath(user: "x", machine: "y", session: "z")
        let line = #"{"type":"channel_msg","channel":"ops","payload":{"plain":"hi"},"_id":1}"#
        let read = try AnnotatedFrame(jsonLine: line, defaultFrom: own)
        #expect(read.frame == .channelMsg(channel: "ops", from: own, payload: .plain("hi")))
        #expect(read.annotations == ["_id": 1])

        let whisper = #"{"type":"whisper","target":"x/y/z","payload":{"plain":""}}"#
        #expect(try AnnotatedFrame(jsonLine: whisper, defaultFrom: own).frame
            == .whisper(from: own, target: other, payload: .plain("")))
        let given = #"{"type":"whisper","from":"x/y/z","target":"x/y/z","payload":{"plain":""}}"#
        #expect(try AnnotatedFrame(jsonLine: given, defaultFrom: own).frame
            == .whisper(from: other, target: other, payload: .plain("")))

        #expect(throws: FrameJSONError.missing("from")) { try AnnotatedFrame(jsonLine: line) }
        // Only the two frames that carry a sender get one.
        #expect(try AnnotatedFrame(jsonLine: #"{"type":"leave","channel":"c"}"#, defaultFrom: own).frame
            == .leave(channel: "c"))
    }

    @Test func bothPathFormsAreAccepted() throws {
        let text = try ProtocolMessage(jsonLine: #"{"type":"established","path":"a/b/c"}"#)
        let object = try ProtocolMessage(
            jsonLine: #"{"type":"established","path":{"user":"a","machine":"b","session":"c"}}"#)
        #expect(text == object)
        #expect(text.jsonLine() == #"{"type":"established","path":"a/b/c"}"#)
        let ambiguous = try ProtocolMessage(
            jsonLine: #"{"type":"established","path":{"user":"a","machine":"b/c","session":""}}"#)
        #expect(ambiguous == .established(path: SessionPath(user: "a", machine: "b/c", session: "")))
    }

    @Test func missingOptionalMembersReadAsNull() throws {
        #expect(try ProtocolMessage(jsonLine: #"{"type":"join","channel":"ops"}"#) == .join(channel: "ops", token: nil))
        #expect(try ProtocolMessage(jsonLine: #"{"type":"who"}"#) == .who(channel: nil))
        #expect(try ProtocolMessage(jsonLine: #"{"type":"ack"}"#) == .ack(detail: nil))
        #expect(try ProtocolMessage(jsonLine: #"{"type":"admin","op":"invite_create","channel":"c"}"#)
            == .admin(.inviteCreate(channel: "c", uses: nil, expiresInSecs: nil)))
        #expect(try ProtocolMessage(jsonLine: #"{"type":"invite_list","invites":[{"token":"t"}]}"#)
            == .inviteList(invites: [InviteInfo(token: "t", usesRemaining: nil, expiresAt: nil)]))
        #expect(try ProtocolMessage(jsonLine: #"{"type":"channel_msg","channel":"c","from":"a/b/c","#
            + #""payload":{"encrypted":{"ciphertext":""}}}"#)
            == .channelMsg(channel: "c", from: SessionPath(user: "a", machine: "b", session: "c"),
                           payload: .encrypted(Envelope(ciphertext: [], keyID: nil))))
    }

    /// Each rejection rule of §4.1, with the message it must give (which names the member).
    @Test(arguments: [
        (#"{"type":"leave","channel":5}"#, "member \"channel\": expected a string, found an integer"),
        (#"{"type":"leave","channel":null}"#, "member \"channel\": expected a string, found null"),
        (#"{"type":"leave"}"#, "missing member \"channel\""),
        (#"{"type":"channel_msg","channel":"c","from":"a/b/c"}"#, "missing member \"payload\""),
        (#"{"channel":"c"}"#, "missing member \"type\""),
        (#"{"type":7}"#, "member \"type\": expected a string, found an integer"),
        (#"{"type":"foo"}"#, "unknown type \"foo\""),
        (#"{"type":"admin","op":"x"}"#, "unknown op \"x\""),
        (#"{"type":"admin"}"#, "missing member \"op\""),
        (#"{"type":"error","error":"teapot","message":"m"}"#, "unknown error \"teapot\""),
        (#"{"type":"join","chanel":"ops"}"#, "unknown member \"chanel\""),
        (#"{"type":"ping","extra":1}"#, "unknown member \"extra\""),
        (#"{"type":"error","error":"not_found","message":"m","ours":1}"#, "unknown member \"ours\""),
        (#"{"type":"admin","op":"kick","channel":"c","target":"t","user":"u"}"#, "unknown member \"user\""),
        (#"{"type":"challenge","nonce":"AA=="}"#, "member \"nonce\": invalid base64url (padding is not allowed)"),
        (#"{"type":"auth","pubkey":"a+b/","signature":""}"#,
         "member \"pubkey\": invalid base64url (character outside the base64url alphabet)"),
        (#"{"type":"admin","op":"machine_add","name":"m","pubkey":"A"}"#,
         "member \"pubkey\": invalid base64url (impossible length)"),
        (#"{"type":"hello","protocol_version":-1,"session":"s"}"#,
         "member \"protocol_version\": integer -1 out of range for u32"),
        (#"{"type":"hello","protocol_version":4294967296,"session":"s"}"#,
         "member \"protocol_version\": integer 4294967296 out of range for u32"),
        (#"{"type":"hello","protocol_version":1.0,"session":"s"}"#,
         "member \"protocol_version\": expected an integer, found a real number"),
        (#"{"type":"hello","protocol_version":true,"session":"s"}"#,
         "member \"protocol_version\": expected an integer, found a boolean"),
        (#"{"type":"hello","protocol_version":"1","session":"s"}"#,
         "member \"protocol_version\": expected an integer, found a string"),
        (#"{"type":"admin","op":"invite_create","channel":"c","uses":null,"expires_in_secs":-5}"#,
         "member \"expires_in_secs\": integer -5 out of range for u64"),
        (#"{"type":"read_since","channel":"c","since_ms":1e3}"#,
         "member \"since_ms\": expected an integer, found a real number"),
        (#"{"type":"server_info","admin":1}"#, "member \"admin\": expected a boolean, found an integer"),
        (#"{"type":"established","path":"a/b"}"#,
         "member \"path\": expected a session path user/machine/session with three non-empty parts, found \"a/b\""),
        (#"{"type":"established","path":"a//c"}"#,
         "member \"path\": expected a session path user/machine/session with three non-empty parts, found \"a//c\""),
        (#"{"type":"established","path":"a/b/c/d"}"#,
         "member \"path\": expected a session path user/machine/session with three non-empty parts, found \"a/b/c/d\""),
        (#"{"type":"established","path":["a","b","c"]}"#,
         "member \"path\": expected a session path (string or object), found an array"),
        (#"{"type":"established","path":{"user":"a","machine":"b"}}"#, "missing member \"path.session\""),
        (#"{"type":"established","path":{"user":"a","machine":"b","session":"c","host":"d"}}"#,
         "unknown member \"path.host\""),
        (#"{"type":"whisper","from":"a/b/c","target":"a/b/c","payload":"hi"}"#,
         "member \"payload\": expected an object, found a string"),
        (#"{"type":"whisper","from":"a/b/c","target":"a/b/c","payload":{}}"#,
         "member \"payload\": expected exactly one of \"plain\" or \"encrypted\""),
        (#"{"type":"whisper","from":"a/b/c","target":"a/b/c","payload":{"plain":"x","encrypted":{}}}"#,
         "member \"payload\": expected exactly one of \"plain\" or \"encrypted\""),
        (#"{"type":"whisper","from":"a/b/c","target":"a/b/c","payload":{"text":"x"}}"#,
         "unknown member \"payload.text\""),
        (#"{"type":"whisper","from":"a/b/c","target":"a/b/c","payload":{"encrypted":{"ciphertext":"A="}}}"#,
         "member \"payload.encrypted.ciphertext\": invalid base64url (padding is not allowed)"),
        (#"{"type":"whisper","from":"a/b/c","target":"a/b/c","payload":{"encrypted":{"key_id":null}}}"#,
         "missing member \"payload.encrypted.ciphertext\""),
        (#"{"type":"presence","channel":null,"sessions":"a/b/c"}"#,
         "member \"sessions\": expected an array, found a string"),
        (#"{"type":"presence","channel":null,"sessions":["a/b/c","x"]}"#,
         "member \"sessions[1]\": expected a session path user/machine/session with three non-empty parts, "
            + "found \"x\""),
        (#"{"type":"channel_list","channels":[{"name":"a","visibility":"secret","member":true}]}"#,
         "member \"channels[0].visibility\": expected \"public\", \"unlisted\" or \"private\", found \"secret\""),
        (#"{"type":"channel_list","channels":[5]}"#, "member \"channels[0]\": expected an object, found an integer"),
        (#"{"type":"history","channel":"c","messages":[{"from":"a/b/c","payload":{"plain":""}}]}"#,
         "missing member \"messages[0].ts_ms\""),
        (#"{"type":"machine_list","machines":[{"name":"m","pubkey":"k","added_at":"t","extra":0}]}"#,
         "unknown member \"machines[0].extra\""),
        (#"{"type":"user_list","users":["a",null]}"#, "member \"users[1]\": expected a string, found null"),
        (#"{"type":"admin","op":"create_channel","name":"c","visibility":2}"#,
         "member \"visibility\": expected a string, found an integer"),
        (#"{"type":"error","error":"version_mismatch","ours":1}"#, "missing member \"theirs\""),
        (#"["type","ping"]"#, "expected a JSON object, found an array"),
    ])
    func rejects(_ line: String, _ message: String) {
        do {
            let frame = try AnnotatedFrame(jsonLine: line)
            Issue.record("accepted \(line) as \(frame.frame)")
        } catch {
            #expect(error.description == message)
            #expect(error.exitStatus == .dataError)
        }
    }

    @Test func errorCodesAndMembers() {
        let cases: [(String, FrameJSONError.Code, String?)] = [
            (#"{"type":"nope"}"#, .unknownType, "type"),
            (#"{"type":"admin","op":"nope"}"#, .unknownOp, "op"),
            (#"{"type":"error","error":"nope"}"#, .unknownError, "error"),
            (#"{"type":"leave","x":1}"#, .unknownMember, "x"),
            (#"{"type":"leave"}"#, .missingMember, "channel"),
            (#"{"type":"leave","channel":[]}"#, .invalidValue, "channel"),
            ("not json", .notJSON, nil),
            ("[]", .notAnObject, nil),
        ]
        for (line, code, member) in cases {
            #expect(throws: FrameJSONError.self) { try ProtocolMessage(jsonLine: line) }
            do {
                _ = try ProtocolMessage(jsonLine: line)
            } catch {
                #expect(error.code == code, "\(line)")
                #expect(error.member == member, "\(line)")
            }
        }
    }

    @Test func notJSONSaysWhere() {
        do {
            _ = try ProtocolMessage(jsonLine: #"{"type":"ping""#)
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("invalid JSON at byte "))
        }
    }

    /// jansson refuses integers beyond i64 while parsing, before any member is read (§4.1 allows this for u64).
    @Test func integersBeyondI64AreRefusedByTheParser() {
        for line in [#"{"type":"read_since","channel":"c","since_ms":9223372036854775808}"#,
                     #"{"type":"admin","op":"invite_create","channel":"c","uses":null,"#
                        + #""expires_in_secs":18446744073709551615}"#] {
            do {
                _ = try ProtocolMessage(jsonLine: line)
                Issue.record("accepted \(line)")
            } catch {
                #expect(error.code == .notJSON)
                #expect(error.description.contains("too big integer"))
            }
        }
    }

    @Test func u64AboveInt64MaxIsWrittenClamped() throws {
        let frame = ProtocolMessage.admin(.inviteCreate(channel: "c", uses: nil, expiresInSecs: .max))
        #expect(frame.jsonObject()["expires_in_secs"] == .integer(.max))
    }
}
