import Testing
@testable import ConclaveWire

@Suite struct WebSocketConnectionTests {
    typealias Support = WebSocketTestSupport

    @Test func deliversBinaryAndTextMessages() {
        var server = WebSocketConnection(role: .server)
        let bytes = Support.clientFrame(.binary, [1, 2, 3]) + Support.clientFrame(.text, Array("hé".utf8))
        let events = server.receiveEvents(bytes)
        #expect(events == [.binary([1, 2, 3]), .text("hé")])
        #expect(!server.hasPendingOutput)
    }

    @Test func reassemblesFragmentsWithControlFramesBetweenThem() throws {
        var server = WebSocketConnection(role: .server)
        let bytes = Support.clientFrame(.text, Array("fra".utf8), isFinal: false)
            + Support.clientFrame(.ping, [7])
            + Support.clientFrame(.continuation, Array("gm".utf8), isFinal: false)
            + Support.clientFrame(.pong, [8])
            + Support.clientFrame(.continuation, Array("ents".utf8))
        var events: [WebSocketEvent] = []
        for byte in bytes { events += server.receiveEvents([byte]) }
        #expect(events == [.pong([8]), .text("fragments")])
        #expect(try Support.sentFrames(&server) == [WebSocketFrame(opcode: .pong, payload: [7])])
    }

    @Test func answersPingsWithTheSamePayload() throws {
        var client = WebSocketConnection(role: .client)
        let payload = Array("are you there".utf8)
        #expect(client.receiveEvents(WebSocketFrame(opcode: .ping, payload: payload).encoded()).isEmpty)
        #expect(try Support.sentFrames(&client) == [WebSocketFrame(opcode: .pong, payload: payload)])
    }

    @Test func failsInvalidUTF8BeforeTheMessageCompletes() throws {
        var server = WebSocketConnection(role: .server)
        #expect(server.receiveEvents(Support.clientFrame(.text, Array("κό".utf8), isFinal: false)).isEmpty)
        // The bad byte is in the middle of a frame whose end has not arrived.
        let frame = Support.clientFrame(.continuation, [0x41, 0xED, 0xA0, 0x80] + Array(repeating: 0x41, count: 20))
        let events = server.receiveEvents(Array(frame.prefix(10)))
        guard case .failed(let error)? = events.first else { Issue.record("no failure: \(events)"); return }
        #expect(error.code == .invalidUTF8)
        #expect(try Support.sentCloseCode(&server) == 1007)
    }

    @Test func failsTextThatEndsInsideACharacter() throws {
        var server = WebSocketConnection(role: .server)
        let bytes = Support.clientFrame(.text, [0x41], isFinal: false)
            + Support.clientFrame(.continuation, [0xE2, 0x82])
        let events = server.receiveEvents(bytes)
        #expect(events.count == 1)
        #expect(try Support.sentCloseCode(&server) == 1007)
    }

    @Test func doesNotValidateBinaryAsUTF8() {
        var server = WebSocketConnection(role: .server)
        #expect(server.receiveEvents(Support.clientFrame(.binary, [0xFF, 0xC0])) == [.binary([0xFF, 0xC0])])
    }

    @Test func acceptsAMessageExactlyAtTheCap() {
        var server = WebSocketConnection(role: .server, maximumMessageSize: 1000)
        let bytes = Support.clientFrame(.binary, [UInt8](repeating: 1, count: 400), isFinal: false)
            + Support.clientFrame(.continuation, [UInt8](repeating: 2, count: 600))
        #expect(server.receiveEvents(bytes).count == 1)
        #expect(!server.isClosed)
    }

    @Test func echoesThePeersClose() throws {
        var server = WebSocketConnection(role: .server)
        let events = server.receiveEvents(Support.clientFrame(.close, Support.closePayload(3000, Array("bye".utf8))))
        #expect(events == [.closed(WebSocketCloseCode(rawValue: 3000), reason: "bye")])
        #expect(server.isClosed)
        let echo = WebSocketFrame(opcode: .close, payload: Support.closePayload(3000))
        #expect(try Support.sentFrames(&server) == [echo])
    }

    @Test func echoesAnEmptyCloseWithAnEmptyClose() throws {
        var client = WebSocketConnection(role: .client)
        #expect(client.receiveEvents(WebSocketFrame(opcode: .close).encoded()) == [.closed(nil, reason: "")])
        #expect(try Support.sentFrames(&client) == [WebSocketFrame(opcode: .close)])
    }

    @Test func closesWhenThePeerAnswersOurClose() throws {
        var client = WebSocketConnection(role: .client)
        try client.close(code: .goingAway, reason: "done")
        #expect(client.state == .closing)
        let close = WebSocketFrame(opcode: .close, payload: Support.closePayload(1001, Array("done".utf8)))
        #expect(try Support.sentFrames(&client) == [close])
        #expect(throws: WebSocketError.self) { try client.sendBinary([1]) }
        // A message already on its way is still delivered; a ping is not answered after our close.
        let incoming = WebSocketFrame(opcode: .binary, payload: [9]).encoded() + WebSocketFrame(opcode: .ping).encoded()
            + WebSocketFrame(opcode: .close, payload: Support.closePayload(1001)).encoded()
        #expect(client.receiveEvents(incoming) == [.binary([9]), .closed(.goingAway, reason: "")])
        #expect(client.isClosed)
        #expect(!client.hasPendingOutput)
        try client.close()
        #expect(!client.hasPendingOutput)
    }

    @Test func ignoresEverythingAfterClosing() {
        var server = WebSocketConnection(role: .server)
        _ = server.receiveEvents(Support.clientFrame(.close))
        _ = server.takeOutput()
        #expect(server.receiveEvents(Support.clientFrame(.binary, [1]) + Support.clientFrame(.ping)).isEmpty)
        #expect(!server.hasPendingOutput)
    }

    @Test func closesWithoutAStatusCodeLikeAConclaveServer() throws {
        var server = WebSocketConnection(role: .server)
        try server.close(code: nil)
        #expect(try Support.sentFrames(&server) == [WebSocketFrame(opcode: .close)])
    }

    @Test func refusesUnsendableCloses() {
        var client = WebSocketConnection(role: .client)
        #expect(throws: WebSocketError.self) { try client.close(code: WebSocketCloseCode(rawValue: 1005)) }
        #expect(throws: WebSocketError.self) { try client.close(reason: String(repeating: "x", count: 124)) }
        #expect(throws: WebSocketError.self) { try client.close(code: nil, reason: "why") }
        #expect(client.state == .open)
    }

    @Test(arguments: Array(0...1100) + [1999, 2000, 2999, 3000, 3001, 4000, 4999, 5000, 5001, 65535])
    func validatesCloseCodes(code: Int) throws {
        let valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011].contains(code)
            || (3000...4999).contains(code)
        var server = WebSocketConnection(role: .server)
        let events = server.receiveEvents(Support.clientFrame(.close, Support.closePayload(UInt16(code))))
        if valid {
            #expect(events == [.closed(WebSocketCloseCode(rawValue: UInt16(code)), reason: "")])
            #expect(try Support.sentCloseCode(&server) == UInt16(code))
        } else {
            #expect(try Support.sentCloseCode(&server) == 1002)
        }
    }

    @Test func clientFramesAreMaskedWithFreshKeys() throws {
        var client = WebSocketConnection(role: .client)
        try client.sendBinary([UInt8](repeating: 0, count: 16))
        try client.sendBinary([UInt8](repeating: 0, count: 16))
        let output = client.takeOutput()
        #expect(output[1] & 0x80 != 0)
        #expect(output[2..<6] != output[24..<28])
        var parser = WebSocketFrameParser(receiver: .server)
        parser.append(output)
        let zeros = [UInt8](repeating: 0, count: 16)
        #expect(try Support.frames(from: &parser).map(\.payload) == [zeros, zeros])
    }

    @Test func serverFramesAreUnmaskedAndCanBeEncodedOnce() throws {
        var server = WebSocketConnection(role: .server)
        try server.sendText("hi")
        let encoded = WebSocketFrame(opcode: .binary, payload: [5]).encoded()
        try server.sendEncodedFrame(encoded)
        #expect(server.pendingOutputByteCount == 4 + encoded.count)
        #expect(server.takeOutput() == [0x81, 0x02, 0x68, 0x69] + encoded)
        var client = WebSocketConnection(role: .client)
        #expect(throws: WebSocketError.self) { try client.sendEncodedFrame(encoded) }
    }

    @Test func refusesToSendOverTheCap() {
        var server = WebSocketConnection(role: .server, maximumMessageSize: 10)
        #expect(throws: WebSocketError.self) { try server.sendBinary([UInt8](repeating: 0, count: 11)) }
        #expect(throws: WebSocketError.self) { try server.sendPing([UInt8](repeating: 0, count: 126)) }
    }

    @Test func pingsAndReportsPongs() throws {
        var client = WebSocketConnection(role: .client)
        try client.sendPing([1, 2])
        #expect(try Support.sentFrames(&client) == [WebSocketFrame(opcode: .ping, payload: [1, 2])])
        #expect(client.receiveEvents(WebSocketFrame(opcode: .pong, payload: [1, 2]).encoded()) == [.pong([1, 2])])
    }

    @Test func queuesRepliesBeforeTheCloseOfALaterViolation() throws {
        var server = WebSocketConnection(role: .server)
        var bad = Support.clientFrame(.text, [0x42])
        bad[0] |= 0x20
        server.receive(Support.clientFrame(.text, [0x41]) + bad + Support.clientFrame(.ping))
        #expect(server.nextEvent() == .text("A"))
        try server.sendText("A")
        guard case .failed? = server.nextEvent() else { Issue.record("no failure"); return }
        #expect(server.nextEvent() == nil)
        let sent = try Support.sentFrames(&server)
        #expect(sent.map(\.opcode) == [.text, .close])
    }
}
