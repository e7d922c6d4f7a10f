import Testing
@testable import ConclaveWire

/// The published vectors (PROTOCOL.md §11), or the file named by `CONCLAVE_VECTORS`.
@Suite struct VectorTests {
    @Test(arguments: try FrameVector.loadAll())
    func vector(_ vector: FrameVector) throws {
        let expected = try #require(bytes(hex: vector.hex), "hex is not hex")
        let fromJSON = try AnnotatedFrame(json: vector.frame).frame

        #expect(hex(fromJSON.encoded()) == hex(expected), "encode(frame) == hex")

        let decoded = try ProtocolMessage(decoding: expected)
        #expect(decoded == fromJSON, "decode(hex) == frame")
        #expect(JSONValue.object(decoded.jsonObject()) == vector.frame, "JSON of decode(hex) == frame")

        let reparsed = try ProtocolMessage(jsonLine: decoded.jsonLine())
        #expect(reparsed == decoded, "the JSON line reads back")
    }

    @Test func vectorFileIsNotEmpty() throws {
        #expect(try !FrameVector.loadAll().isEmpty)
    }
}
