import Testing
@testable import ConclaveWire

@Suite struct WebSocketUTF8ValidatorTests {
    private func check(_ bytes: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return validator.firstInvalidByte(in: bytes) == nil && validator.isAtCharacterBoundary
    }

    @Test(arguments: [
        "", "plain ASCII that is longer than eight bytes", "κόσμε", "\u{0}", "\u{7F}\u{80}\u{7FF}\u{800}",
        "\u{FFFF}\u{10000}\u{10FFFF}", "\u{D7FF}\u{E000}", "mixed ascii then ü then more ascii 12345678",
    ])
    func acceptsValidText(_ text: String) {
        #expect(check(Array(text.utf8)))
    }

    @Test(arguments: [
        [0x80], [0xBF], [0xC0, 0xAF], [0xC1, 0xBF], [0xE0, 0x80, 0xAF], [0xE0, 0x9F, 0xBF],
        [0xF0, 0x80, 0x80, 0xAF], [0xF0, 0x8F, 0xBF, 0xBF], [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFE], [0xFF], [0xC2, 0x41], [0xE2, 0x82],
        [0xF0, 0x9F, 0x98],
    ] as [[UInt8]])
    func refusesInvalidSequences(_ bytes: [UInt8]) {
        #expect(!check(bytes))
    }

    @Test func reportsTheOffsetOfTheFirstBadByte() {
        var validator = UTF8Validator()
        #expect(validator.firstInvalidByte(in: Array("abcdefghij".utf8) + [0xCE, 0xBA, 0xFF, 0x41]) == 12)
    }

    @Test func validatesAcrossChunkBoundaries() {
        let bytes = Array("κόσμε 😀 \u{10FFFF} end".utf8)
        for split in 0...bytes.count {
            var validator = UTF8Validator()
            #expect(validator.firstInvalidByte(in: Array(bytes[..<split])) == nil)
            #expect(validator.firstInvalidByte(in: Array(bytes[split...])) == nil)
            #expect(validator.isAtCharacterBoundary)
        }
    }

    @Test func failsInTheChunkHoldingTheBadByte() {
        var validator = UTF8Validator()
        #expect(validator.firstInvalidByte(in: [0xF4]) == nil)
        #expect(validator.firstInvalidByte(in: [0x90]) == 0)
    }

    @Test func notesATruncatedSequenceAtTheEnd() {
        var validator = UTF8Validator()
        #expect(validator.firstInvalidByte(in: [0x41, 0xE2, 0x82]) == nil)
        #expect(!validator.isAtCharacterBoundary)
    }
}
