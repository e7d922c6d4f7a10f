import Testing
@testable import ConclaveWire

/// The strict decoder against hostile and malformed input (PROTOCOL.md §3.1–3.3, §10 item 19).
@Suite struct WireCodecTests {
    private func decode(_ hexText: String) throws(FrameDecodingError) -> ProtocolMessage {
        try ProtocolMessage(decoding: bytes(hex: hexText)!)
    }

    private func expectFailure(_ hexText: String, _ code: FrameDecodingError.Code, at offset: Int) {
        #expect(throws: FrameDecodingError(code, at: offset), "\(hexText)") { try decode(hexText) }
    }

    /// Every frame of the published and hand-written vectors, as bytes.
    private static func everyVectorFrame() throws -> [[UInt8]] {
        try FrameVector.loadAll().compactMap { bytes(hex: $0.hex) } + EdgeVectorTests.all.map { $0.frame.encoded() }
    }

    @Test func nonMinimalVarintsAreAccepted() throws {
        #expect(try decode("00 fb0100 0173") == .hello(protocolVersion: 1, session: "s"))
        #expect(try decode("00 fc01000000 0173") == .hello(protocolVersion: 1, session: "s"))
        #expect(try decode("fb1200") == .ping)
        #expect(try decode("fc12000000") == .ping)
        #expect(try decode("06 fb0300 6f7073") == .leave(channel: "ops"))
        #expect(try decode("06 fd0300000000000000 6f7073") == .leave(channel: "ops"))
        #expect(try decode("1a00 fd0200000000000000") == .readSince(channel: "", sinceMs: 1))
        #expect(try decode("08 06 00 00 01 fb0500") == .admin(.inviteCreate(channel: "", uses: nil, expiresInSecs: 5)))
    }

    @Test func eightByteMarkerIsInvalidForU32Targets() {
        expectFailure("fd1200000000000000", .invalidVarintMarker, at: 0)
        expectFailure("00 fd0100000000000000 0173", .invalidVarintMarker, at: 1)
        expectFailure("08 fd0000000000000000", .invalidVarintMarker, at: 1)
        expectFailure("08 06 00 01 fd0100000000000000 00", .invalidVarintMarker, at: 4)
        expectFailure("0c 00 01 fd0200000000000000", .invalidVarintMarker, at: 3)
        expectFailure("0e 01 0161 fd0000000000000000 00", .invalidVarintMarker, at: 4)
    }

    @Test func reservedMarkersAreAlwaysInvalid() {
        for marker in ["fe", "ff"] {
            expectFailure(marker + "00000000000000000000000000000000", .invalidVarintMarker, at: 0)
            expectFailure("06 \(marker)00", .invalidVarintMarker, at: 1)
            expectFailure("1a00 \(marker)00000000000000000000000000000000", .invalidVarintMarker, at: 2)
            expectFailure("00 \(marker)00000000 00", .invalidVarintMarker, at: 1)
        }
    }

    @Test func unknownVariantsAreRejected() {
        expectFailure("1c", .unknownVariant, at: 0)
        expectFailure("fb1c00", .unknownVariant, at: 0)
        expectFailure("08 11", .unknownVariant, at: 1)
        expectFailure("0c 05 00", .unknownVariant, at: 1)
        expectFailure("09 00 00 00 00 02 00", .unknownVariant, at: 5)
        expectFailure("08 00 00 03", .unknownVariant, at: 3)
        expectFailure("08 00 00 fcffffffff", .unknownVariant, at: 3)
    }

    @Test func boolAndOptionTagsMustBeZeroOrOne() {
        expectFailure("14 02", .invalidBool, at: 1)
        expectFailure("14 ff", .invalidBool, at: 1)
        expectFailure("0e 01 0161 00 02", .invalidBool, at: 5)
        expectFailure("10 02", .invalidOptionTag, at: 1)
        expectFailure("07 ff 00", .invalidOptionTag, at: 1)
        expectFailure("19 01 0174 02 00", .invalidOptionTag, at: 4)
        expectFailure("08 06 00 00 02", .invalidOptionTag, at: 4)
    }

    @Test func stringsMustBeUTF8() throws {
        for bad in ["ff", "c3", "c328", "eda080", "f4908080", "c0af", "e282"] {
            let length = hex([UInt8(bad.count / 2)])
            expectFailure("06 \(length)\(bad)", .invalidUTF8, at: 2)
        }
        #expect(try decode("06 0100") == .leave(channel: "\u{0}"))
        #expect(try decode("06 04f09f8c8d") == .leave(channel: "🌍"))
    }

    @Test func lengthsThatOverrunAreRejected() {
        expectFailure("06 04616263", .lengthOverrun, at: 1)
        expectFailure("01 fb0001 00", .lengthOverrun, at: 1)
        expectFailure("18 05 0161 0162", .lengthOverrun, at: 1)
        expectFailure("18 03 0161 0162", .truncated, at: 6)
        // Three paths need at least nine bytes; eight remain.
        expectFailure("0b 00 03 0161016201630164", .lengthOverrun, at: 2)
        expectFailure("1b 00 fc00000100", .lengthOverrun, at: 2)
    }

    @Test func lengthsBeyondTheCapAreRejectedWithoutAllocation() {
        expectFailure("06 fc01000001", .tooLarge, at: 1)
        expectFailure("01 fdffffffffffffffff", .tooLarge, at: 1)
        expectFailure("18 fd0000000000000001", .tooLarge, at: 1)
        expectFailure("1b 00 fdffffffffffffff7f", .tooLarge, at: 2)
        // Exactly 16 MiB is within the cap and simply overruns this input.
        expectFailure("06 fc00000001", .lengthOverrun, at: 1)
    }

    @Test func messagesOverTheCapAreRejected() throws {
        let limit = ProtocolMessage.maximumEncodedSize
        #expect(limit == 16_777_216)
        var huge = [UInt8](repeating: 0x61, count: limit + 1)
        huge[0] = 0x06
        #expect(throws: FrameDecodingError(.tooLarge, at: limit)) { try ProtocolMessage(decoding: huge) }

        // A frame of exactly 16 MiB decodes.
        let textLength = limit - 1 - 5
        var atLimit: [UInt8] = [0x06, 0xFC]
        atLimit += withUnsafeBytes(of: UInt32(textLength).littleEndian, Array.init)
        atLimit += [UInt8](repeating: 0x61, count: textLength)
        #expect(atLimit.count == limit)
        #expect(try ProtocolMessage(decoding: atLimit) == .leave(channel: String(repeating: "a", count: textLength)))
    }

    @Test func trailingBytesAreRejected() {
        expectFailure("12 00", .trailingBytes, at: 1)
        expectFailure("00010572617a656c ff", .trailingBytes, at: 8)
        expectFailure("14 01 01", .trailingBytes, at: 2)
    }

    @Test func emptyInputIsTruncated() {
        #expect(throws: FrameDecodingError(.truncated, at: 0)) { try ProtocolMessage(decoding: [UInt8]()) }
        #expect(throws: FrameDecodingError(.truncated, at: 0)) { try Payload(decoding: [UInt8]()) }
    }

    @Test func everyTruncationOfEveryVectorFailsCleanly() throws {
        for frame in try Self.everyVectorFrame() where frame.count < 4096 {
            for length in 0..<frame.count {
                do {
                    let decoded = try ProtocolMessage(decoding: frame[0..<length])
                    Issue.record("a \(length)-byte prefix of \(hex(frame)) decoded as \(decoded)")
                } catch {
                    #expect(error.code == .truncated || error.code == .lengthOverrun)
                    #expect(error.offset <= length)
                }
            }
        }
    }

    @Test func everyInputShapeDecodes() throws {
        let frame = ProtocolMessage.join(channel: "ops", token: nil)
        let encoded = frame.encoded()
        #expect(try ProtocolMessage(decoding: encoded) == frame)
        #expect(try ProtocolMessage(decoding: ([0xFF] + encoded)[1...]) == frame)
        #expect(try ProtocolMessage(decoding: encoded.lazy.map { $0 }) == frame)
        #expect(try ProtocolMessage(decoding: ContiguousArray(encoded)) == frame)
        #expect(throws: FrameDecodingError(.trailingBytes, at: 6)) {
            try ProtocolMessage(decoding: (encoded + [0]).lazy.map { $0 })
        }
        let payload = Payload.plain("x")
        #expect(try Payload(decoding: payload.encoded()) == payload)
        #expect(try Payload(decoding: payload.encoded()[...]) == payload)
    }

    @Test func oversizedNonContiguousInputIsRefusedBeforeCopying() {
        let huge = repeatElement(UInt8(0x06), count: ProtocolMessage.maximumEncodedSize + 1)
        #expect(throws: FrameDecodingError(.tooLarge, at: ProtocolMessage.maximumEncodedSize)) {
            try ProtocolMessage(decoding: huge)
        }
    }

    @Test func randomBytesNeverCrash() {
        var generator = SplitMix64(seed: 0x5EED_C0DE)
        var decodedCount = 0
        for round in 0..<5000 {
            let length = Int(generator.next() % 48)
            var input = (0..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            // Half the inputs start with a valid frame index so decoding goes deeper than the first byte.
            if round.isMultiple(of: 2), !input.isEmpty { input[0] %= 28 }
            if (try? ProtocolMessage(decoding: input)) != nil { decodedCount += 1 }
            _ = try? Payload(decoding: input)
        }
        #expect(decodedCount > 0)
    }

    @Test func mutatedVectorsNeverCrashAndReencodeWhenAccepted() throws {
        var generator = SplitMix64(seed: 42)
        let frames = try Self.everyVectorFrame().filter { $0.count < 512 }
        for _ in 0..<5000 {
            var input = frames[Int(generator.next() % UInt64(frames.count))]
            guard !input.isEmpty else { continue }
            for _ in 0...(generator.next() % 3) {
                input[Int(generator.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: generator.next())
            }
            if let frame = try? ProtocolMessage(decoding: input) {
                // Whatever decodes must re-encode to something that decodes to the same frame.
                #expect(try ProtocolMessage(decoding: frame.encoded()) == frame)
            }
        }
    }

    @Test func errorDescriptionNamesCodeAndOffset() {
        let error = FrameDecodingError(.invalidBool, at: 7)
        #expect(error.description == "undecodable frame: invalid bool byte at byte offset 7")
        #expect(error.exitStatus == .protocolError)
    }
}
