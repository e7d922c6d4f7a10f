import Testing
@testable import ConclaveServer
@testable import ConclaveWire

/// What leaves the core: encoded frames, log lines, and nothing for strangers.
@Suite struct ServerOutputTests {
    @Test func sendActionsCarryTheBincodeEncoding() {
        let harness = ServerHarness()
        let client = harness.register("aaron")
        let actions = harness.receive(.ping, on: client.id)
        #expect(actions == [.send(client.id, OutboundFrame(message: .pong, bytes: [0x13]))])
    }

    @Test func logsNeverCarryKeysOrNonces() {
        let harness = ServerHarness()
        let client = harness.register("aaron", identity: .vector)
        _ = harness.login(client.identity, handle: "second")
        let lines = harness.logs.map(\.description)
        #expect(lines.contains("connection #1 registered user aaron with machine laptop"))
        #expect(lines.contains("connection #2 established aaron/laptop/second"))
        #expect(!lines.contains { $0.contains(TestIdentity.vector.text) || $0.contains(Base64URL.encode([1, 1, 1])) })
    }

    @Test func eventsForUnknownConnectionsAreIgnored() {
        let harness = ServerHarness()
        let stranger = ConnectionID(999)
        #expect(harness.core.received(.ping, on: stranger).isEmpty)
        #expect(harness.core.connectionClosed(stranger).isEmpty)
        #expect(harness.core.receivedUndecodable(on: stranger).isEmpty)
        harness.core.wrote(frames: 1, bytes: 1, on: stranger)
        #expect(harness.core.metrics.framesIn.isEmpty)
    }
}

@Suite struct ServerLogEventTests {
    @Test func controlCharactersInNamesAreEscaped() {
        let path = SessionPath(user: "eve", machine: "m", session: "h\nforged line\u{7f}")
        let line = ServerLogEvent.request(path: path, kind: "ping", channel: nil).description
        #expect(line == "eve/m/h\\x0aforged line\\x7f ping")
        let separators = SessionPath(user: "eve", machine: "m", session: "a\u{2028}b\u{2029}c")
        #expect(ServerLogEvent.request(path: separators, kind: "ping", channel: nil).description
            == "eve/m/a\\u{2028}b\\u{2029}c ping")
    }
}

