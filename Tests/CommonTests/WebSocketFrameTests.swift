import Testing
@testable import ConclaveWire

@Suite struct WebSocketFrameTests {
    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 70000])
    func roundTripsAtLengthBoundaries(length: Int) throws {
        let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for (receiver, key) in [(WebSocketRole.client, nil), (.server, WebSocketTestSupport.key)] {
            let frame = WebSocketFrame(opcode: .binary, payload: payload)
            let bytes = frame.encoded(maskingKey: key)
            let header = WebSocketFrameHeader(opcode: .binary, maskingKey: key, payloadLength: length)
            #expect(bytes.count == header.encodedSize + length)
            var parser = WebSocketFrameParser(receiver: receiver)
            parser.append(bytes)
            #expect(try WebSocketTestSupport.frames(from: &parser) == [frame])
            #expect(parser.bufferedByteCount == 0)
        }
    }

    @Test(arguments: [(125, 2), (126, 4), (65535, 4), (65536, 10)])
    func usesTheMinimalLengthEncoding(length: Int, headerSize: Int) {
        let bytes = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 0, count: length)).encoded()
        #expect(bytes.count - length == headerSize)
    }

    @Test func parsesFramesFedOneByteAtATime() throws {
        let frames = [
            WebSocketFrame(isFinal: false, opcode: .text, payload: Array("héllo ".utf8)),
            WebSocketFrame(opcode: .ping, payload: [1, 2, 3]),
            WebSocketFrame(opcode: .continuation, payload: Array(repeating: 0x41, count: 300)),
            WebSocketFrame(opcode: .binary),
        ]
        let stream = frames.flatMap { $0.encoded(maskingKey: WebSocketTestSupport.key) }
        var parser = WebSocketFrameParser(receiver: .server)
        var parsed: [WebSocketFrame] = []
        var payload: [UInt8] = []
        for byte in stream {
            parser.append([byte])
            while let chunk = try parser.nextChunk(dataPayloadLimit: .max) {
                if chunk.isFirst { payload = [] }
                payload += chunk.payload
                if chunk.isLast {
                    let header = chunk.header
                    parsed.append(WebSocketFrame(isFinal: header.isFinal, opcode: header.opcode, payload: payload))
                }
            }
        }
        #expect(parsed == frames)
    }

    @Test func reportsTheHeaderBeforeThePayloadArrives() throws {
        let bytes = WebSocketFrame(opcode: .binary, payload: [UInt8](repeating: 9, count: 1000)).encoded()
        var parser = WebSocketFrameParser(receiver: .client)
        parser.append(Array(bytes.prefix(4)))
        let first = try #require(try parser.nextChunk(dataPayloadLimit: .max))
        #expect(first.isFirst && !first.isLast && first.payload.isEmpty && first.header.payloadLength == 1000)
        #expect(try parser.nextChunk(dataPayloadLimit: .max) == nil)
        parser.append(Array(bytes[4..<500]))
        let middle = try #require(try parser.nextChunk(dataPayloadLimit: .max))
        #expect(!middle.isFirst && !middle.isLast && middle.payload.count == 496)
        parser.append(Array(bytes[500...]))
        let last = try #require(try parser.nextChunk(dataPayloadLimit: .max))
        #expect(last.isLast && last.payload.count == 504)
    }

    @Test func maskingIsItsOwnInverseAtEveryOffset() {
        let key = WebSocketMaskingKey(0x01, 0x02, 0x04, 0x80)
        let original = (0..<37).map { UInt8($0) }
        for offset in 0..<4 {
            var bytes = original
            bytes.withUnsafeMutableBytes { key.apply(to: $0, offset: offset) }
            let expected = original.enumerated().map { $0.element ^ key.byte(at: offset + $0.offset) }
            #expect(bytes == expected)
            bytes.withUnsafeMutableBytes { key.apply(to: $0, offset: offset) }
            #expect(bytes == original)
        }
    }

    @Test func masksLikeRFC6455Section5_7() {
        // "Hello", masked with 37 fa 21 3d.
        let frame = WebSocketFrame(opcode: .text, payload: Array("Hello".utf8))
        let bytes = frame.encoded(maskingKey: WebSocketTestSupport.key)
        #expect(bytes == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test func randomMaskingKeysDiffer() {
        var source = WebSocketMaskingKeySource()
        // Three batches' worth: a refill must not repeat the previous batch.
        let keys = Set((0..<192).map { _ in source.next() })
        #expect(keys.count > 180)
    }

    @Test func unmasksAcrossChunksThatSplitTheKeyCycle() throws {
        let payload = (0..<50).map { UInt8($0) }
        let bytes = WebSocketFrame(opcode: .binary, payload: payload).encoded(maskingKey: WebSocketTestSupport.key)
        var parser = WebSocketFrameParser(receiver: .server)
        var collected: [UInt8] = []
        for range in [0..<7, 7..<9, 9..<30, 30..<bytes.count] {
            parser.append(Array(bytes[range]))
            while let chunk = try parser.nextChunk(dataPayloadLimit: .max) { collected += chunk.payload }
        }
        #expect(collected == payload)
    }
}
