import Testing
@testable import ConclaveClient
@testable import ConclaveIdentity
@testable import ConclaveWire

/// The delivery records of `conclave-recv`, written without a JSON tree (`DeliveryRecordEncoder`): byte for byte
/// what serializing the record object gives, whatever the strings hold and however the records follow each other.
@Suite struct RecvRecordTests {
    private static let alice = SessionPath(user: "alice", machine: "laptop", session: "main")
    private static let slashed = SessionPath(user: "a/b", machine: "", session: "s\"1")

    private static let texts = [
        "", "hi", "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000042",
        "quote \" backslash \\ slash / tab \t newline \n return \r", "nul \0 bell \u{7} delete \u{7F} c1 \u{85}",
        "héllo wörld", "emoji 🎉 and a joiner 👩‍💻", "line separator \u{2028} paragraph \u{2029}", "\u{1F}",
    ]

    private static let frames: [ProtocolMessage] = texts.flatMap { text in
        [
            .channelMsg(channel: "ops", from: alice, payload: .plain(text)),
            .channelMsg(channel: "ops", from: slashed, payload: .plain(text)),
            .channelMsg(channel: "ünïcode \"channel\"", from: alice, payload: .plain(text)),
            .whisper(from: alice, target: slashed, payload: .plain(text)),
            .whisper(from: slashed, target: alice, payload: .plain(text)),
        ]
    } + [
        .channelMsg(channel: "ops", from: alice,
                    payload: .encrypted(Envelope(ciphertext: [0, 1, 2, 250, 255], keyID: nil))),
        .whisper(from: alice, target: alice, payload: .encrypted(Envelope(ciphertext: [], keyID: "k\"1"))),
    ]

    @Test func aRecordIsTheSerializationOfItsObjectByteForByte() {
        let encoder = DeliveryRecordEncoder(formatter: RecordFormatter(server: "wss://example.org:4390/a\"b"))
        var index = 0
        // Every frame after every other, so that each record also follows a different one.
        for frame in Self.frames + Self.frames.reversed() {
            for permission in PermissionLevel.allCases {
                index += 1
                let receivedAtMs = index.isMultiple(of: 3) ? -1_751_500_000_123 : 1_751_500_000_000 + Int64(index)
                let historyTsMs: Int64? = index.isMultiple(of: 2) ? nil : Int64(index) - 7
                var bytes: [UInt8] = []
                encoder.append(frame, permission: permission, receivedAtMs: receivedAtMs, historyTsMs: historyTsMs,
                               to: &bytes)
                let object = encoder.record(
                    frame, permission: permission, receivedAtMs: receivedAtMs, historyTsMs: historyTsMs)
                #expect(String(decoding: bytes, as: UTF8.self) == JSONValue.object(object).serialized())
                #expect(bytes == Array(JSONValue.object(object).serialized().utf8))
            }
        }
    }

    @Test func aRecordOfAnotherFrameIsSerializedToo() {
        let encoder = DeliveryRecordEncoder(formatter: RecordFormatter(server: "ws://h"))
        var bytes: [UInt8] = []
        encoder.append(.joined(channel: "ops"), permission: .notify, receivedAtMs: 3, historyTsMs: 4, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self)
            == #"{"type":"joined","channel":"ops","_server":"ws://h","_rx_ms":3,"_permission":"notify","_ts_ms":4}"#)
    }
}
