import Testing
@testable import ConclaveWire

/// Every rule a peer can break, with the close code the connection answers with.
@Suite struct WebSocketProtocolErrorTests {
    typealias Support = WebSocketTestSupport

    /// Feeds `bytes` to a fresh connection and returns the failure and the close code it sent.
    private func failure(
        _ bytes: [UInt8], role: WebSocketRole = .server, maximumMessageSize: Int = 1 << 24
    ) throws -> (WebSocketError, UInt16?) {
        var connection = WebSocketConnection(role: role, maximumMessageSize: maximumMessageSize)
        let events = connection.receiveEvents(bytes)
        guard case .failed(let error)? = events.last else {
            Issue.record("expected a failure, got \(events)")
            throw WebSocketError(.protocolViolation, "no failure")
        }
        #expect(connection.isClosed)
        #expect(connection.receiveEvents(Support.clientFrame(.binary, [1])).isEmpty)
        return (error, try Support.sentCloseCode(&connection))
    }

    @Test(arguments: [UInt8(0x40), 0x20, 0x10, 0x70])
    func refusesReservedBits(bits: UInt8) throws {
        var frame = Support.clientFrame(.binary, [1, 2])
        frame[0] |= bits
        let (error, sent) = try failure(frame)
        #expect(error.code == .protocolViolation)
        #expect(sent == 1002)
    }

    @Test(arguments: [UInt8(3), 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
    func refusesReservedOpcodes(opcode: UInt8) throws {
        var frame = Support.clientFrame(.binary, [1, 2])
        frame[0] = 0x80 | opcode
        #expect(try failure(frame).1 == 1002)
    }

    @Test func refusesUnmaskedClientFrames() throws {
        #expect(try failure(WebSocketFrame(opcode: .binary, payload: [1]).encoded()).1 == 1002)
    }

    @Test func refusesMaskedServerFrames() throws {
        #expect(try failure(Support.clientFrame(.binary, [1]), role: .client).1 == 1002)
    }

    @Test func refusesNonMinimal16BitLength() throws {
        #expect(try failure([0x82, 0xFE, 0x00, 0x7D, 1, 2, 3, 4]).1 == 1002)
    }

    @Test func refusesNonMinimal64BitLength() throws {
        #expect(try failure([0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 1, 2, 3, 4]).1 == 1002)
    }

    @Test func refuses64BitLengthWithTheTopBitSet() throws {
        #expect(try failure([0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0]).1 == 1002)
    }

    @Test func refusesFragmentedControlFrames() throws {
        #expect(try failure(Support.clientFrame(.ping, [1], isFinal: false)).1 == 1002)
    }

    @Test func refusesControlFramesOver125Bytes() throws {
        #expect(try failure(Support.clientFrame(.ping, [UInt8](repeating: 0, count: 126))).1 == 1002)
    }

    @Test func refusesContinuationWithoutAStart() throws {
        #expect(try failure(Support.clientFrame(.continuation, [1])).1 == 1002)
    }

    @Test func refusesANewMessageInsideAFragmentedOne() throws {
        let bytes = Support.clientFrame(.text, [0x41], isFinal: false) + Support.clientFrame(.binary, [1])
        #expect(try failure(bytes).1 == 1002)
    }

    @Test func refusesAOneByteClosePayload() throws {
        #expect(try failure(Support.clientFrame(.close, [0x03])).1 == 1002)
    }

    @Test func refusesAnInvalidCloseReason() throws {
        let (error, sent) = try failure(Support.clientFrame(.close, Support.closePayload(1000, [0xCE, 0xBA, 0xE1])))
        #expect(error.code == .invalidUTF8)
        #expect(sent == 1007)
    }

    @Test func refusesInvalidUTF8Text() throws {
        #expect(try failure(Support.clientFrame(.text, [0x41, 0xFF])).1 == 1007)
    }

    @Test func refusesOversizedFramesFromTheHeaderAlone() throws {
        // Only the header of a 2 MiB frame is fed: the cap must hold before any payload arrives.
        let header = [UInt8](Support.clientFrame(.binary, [UInt8](repeating: 0, count: 2 << 20)).prefix(14))
        let (error, sent) = try failure(header, maximumMessageSize: 1 << 20)
        #expect(error.code == .messageTooLarge)
        #expect(sent == 1009)
    }

    @Test func capsTheWholeFragmentedMessage() throws {
        let half = [UInt8](repeating: 0, count: 600)
        let bytes = Support.clientFrame(.binary, half, isFinal: false) + Support.clientFrame(.continuation, half)
        #expect(try failure(bytes, maximumMessageSize: 1000).1 == 1009)
    }
}
