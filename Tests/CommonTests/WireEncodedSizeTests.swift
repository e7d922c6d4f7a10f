import Testing
@testable import ConclaveWire

/// The computed sizes the server checks against the message cap equal the encodings' lengths.
@Suite struct WireEncodedSizeTests {
    private static let lengths = [0, 1, 250, 251, 65_535, 65_536]

    private static func text(_ count: Int) -> String { String(repeating: "é", count: count / 2) + "x" }

    @Test(arguments: lengths) func deliveriesAndHistoryPages(length: Int) {
        let path = SessionPath(user: Self.text(length), machine: "m", session: Self.text(length / 3))
        let payloads: [Payload] = [
            .plain(Self.text(length)),
            .encrypted(Envelope(ciphertext: Array(repeating: 7, count: length), keyID: nil)),
            .encrypted(Envelope(ciphertext: [1], keyID: Self.text(length))),
        ]
        for payload in payloads {
            let channel = Self.text(length / 2)
            #expect(ProtocolMessage.channelMessageSize(channel: channel, from: path, payload: payload)
                == ProtocolMessage.channelMsg(channel: channel, from: path, payload: payload).encoded().count)
            #expect(ProtocolMessage.whisperSize(from: path, target: path, payload: payload)
                == ProtocolMessage.whisper(from: path, target: path, payload: payload).encoded().count)
            for tsMs: Int64 in [0, -1, 1_751_500_000_123, .max, .min] {
                let messages = Array(repeating: HistoryMessage(from: path, tsMs: tsMs, payload: payload), count: 3)
                let size = ProtocolMessage.historySize(
                    channel: channel, messageCount: 3, messageBytes: messages.map(\.encodedSize).reduce(0, +))
                #expect(size == ProtocolMessage.history(channel: channel, messages: messages).encoded().count)
            }
        }
    }
}
