import Testing
@testable import ConclaveClient
@testable import ConclaveIdentity
@testable import ConclaveWire

/// The NDJSON records of conclave-connect (conclave-ndjson(5)): frame members first, then the annotations in a
/// fixed order.
@Suite struct ConnectRecordTests {
    private let formatter = RecordFormatter(server: "ws://127.0.0.1:4390")
    private static let bob = SessionPath(user: "bob", machine: "pc", session: "main")

    private func line(_ object: JSONObject) -> String { JSONValue.object(object).serialized() }

    @Test func replyCarriesTheIdThenServerAndReceiptTime() {
        #expect(line(formatter.reply(.joined(channel: "ops"), correlation: "j1", receivedAtMs: 5))
            == #"{"type":"joined","channel":"ops","_id":"j1","_server":"ws://127.0.0.1:4390","_rx_ms":5}"#)
        #expect(line(formatter.reply(.ack(detail: nil), correlation: nil, receivedAtMs: 5))
            == #"{"type":"ack","detail":null,"_server":"ws://127.0.0.1:4390","_rx_ms":5}"#)
    }

    @Test func deliveryCarriesItsPermissionAndAnEchoIsMarked() {
        let frame = ProtocolMessage.channelMsg(channel: "ops", from: Self.bob, payload: .plain("hi"))
        #expect(line(formatter.delivery(frame, permission: .notify, receivedAtMs: 9))
            == #"{"type":"channel_msg","channel":"ops","from":"bob/pc/main","payload":{"plain":"hi"},"#
            + #""_server":"ws://127.0.0.1:4390","_rx_ms":9,"_permission":"notify"}"#)
        #expect(line(formatter.echo(frame, permission: .act, receivedAtMs: 9)).hasSuffix(
            #""_permission":"act","_echo":true}"#))
    }

    @Test func aLocalErrorIsAnInternalErrorFrameMarkedLocal() {
        #expect(line(formatter.localError(.internal("connection lost; retry"), correlation: .integer(3),
                                          receivedAtMs: 1))
            == #"{"type":"error","error":"internal","message":"connection lost; retry","_id":3,"#
            + #""_server":"ws://127.0.0.1:4390","_rx_ms":1,"_local":true}"#)
    }

    @Test func localEvents() {
        let suffix = #","_server":"ws://127.0.0.1:4390","_rx_ms":2}"#
        #expect(line(formatter.event(.linkUp(path: Self.bob, serverID: "srv", admin: true), receivedAtMs: 2))
            == #"{"type":"link_up","path":"bob/pc/main","server_id":"srv","admin":true"# + suffix)
        #expect(line(formatter.event(.linkUp(path: Self.bob, serverID: nil, admin: nil), receivedAtMs: 2))
            == #"{"type":"link_up","path":"bob/pc/main","server_id":null,"admin":null"# + suffix)
        #expect(line(formatter.event(.linkDown(reason: "closed"), receivedAtMs: 2))
            == #"{"type":"link_down","reason":"closed""# + suffix)
        #expect(line(formatter.event(.linkRetry(attempt: 2, delayMs: 400), receivedAtMs: 2))
            == #"{"type":"link_retry","attempt":2,"delay_ms":400"# + suffix)
        #expect(line(formatter.event(.rejoinFailed(channel: "ops", error: .notFound("channel `ops`")),
                                     receivedAtMs: 2))
            == #"{"type":"rejoin_failed","channel":"ops","error":"not found: channel `ops`""# + suffix)
        let bad = InputLineError(line: 4, message: "unknown type \"x\"", correlation: "a")
        #expect(line(formatter.event(.inputError(bad), receivedAtMs: 2))
            == #"{"type":"input_error","line":4,"message":"unknown type \"x\"","_id":"a""# + suffix)
    }

    @Test func recordsReadBackAsFramesIgnoringTheAnnotations() throws {
        let frame = ProtocolMessage.whisper(from: Self.bob, target: Self.bob, payload: .plain("self"))
        let object = formatter.delivery(frame, permission: .converse, receivedAtMs: 1)
        #expect(try ProtocolMessage(json: object) == frame)
    }

    @Test func permissionsResolvePerScopeAndAgentRefusalNamesTheOverride() {
        let config = ConclaveConfig(
            defaultPermission: .notify,
            overrides: [PermissionOverride(server: "ws://s", channel: "ops", level: .act),
                        PermissionOverride(server: "ws://s", channel: "quiet", level: .mute),
                        PermissionOverride(server: "ws://s", channel: nil, level: .converse)])
        let permissions = PermissionPolicy(config: config, server: "ws://s", configPath: "/c/config.toml")
        let post = { (channel: String) in
            ProtocolMessage.channelMsg(channel: channel, from: Self.bob, payload: .plain("x"))
        }
        #expect(permissions.level(of: post("ops")) == .act)
        #expect(permissions.level(of: post("quiet")) == .mute)
        #expect(permissions.level(of: post("dev")) == .notify)
        #expect(permissions.level(of: .whisper(from: Self.bob, target: Self.bob, payload: .plain(""))) == .converse)
        #expect(permissions.level(of: .join(channel: "ops", token: nil)) == nil)
        #expect(permissions.agentRefusal(of: post("ops")) == nil)
        #expect(permissions.agentRefusal(of: .listChannels) == nil)
        guard case let .unauthorized(message)? = permissions.agentRefusal(of: post("dev")) else {
            Issue.record("a post on a notify scope must be refused")
            return
        }
        #expect(message.contains(#"[[overrides]] server = "ws://s" channel = "dev" level = "converse""#))
        #expect(message.contains("/c/config.toml"))
    }
}
