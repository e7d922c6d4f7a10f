import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport

/// After a stall, input that arrived during it is handled before deadlines fire (issue 15 item 4), and a turn
/// can be cut short between handlers (item 5).
@Suite struct EventLoopStallTests {
    /// One end of a pipe on the loop; `onReadable` runs when it has bytes, which it drains.
    private final class PipeReader: EventLoopHandler {
        let readEnd: Int32
        let writeEnd: Int32
        var onReadable: () -> Void = {}

        init() throws {
            var ends: [Int32] = [0, 0]
            try #require(pipe(&ends) == 0)
            _ = fcntl(ends[0], F_SETFL, O_NONBLOCK)
            readEnd = ends[0]
            writeEnd = ends[1]
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }

        func poke() {
            var byte: UInt8 = 1
            _ = write(writeEnd, &byte, 1)
        }

        func handle(_ events: IOEvents, on loop: EventLoop) {
            var buffer = [UInt8](repeating: 0, count: 64)
            while read(readEnd, &buffer, buffer.count) > 0 {}
            onReadable()
        }
    }

    @Test func inputThatArrivedDuringAStallIsHandledBeforeADueTimer() throws {
        let loop = try EventLoop()
        let slow = try PipeReader()
        let peer = try PipeReader()
        try loop.register(slow.readEnd, interest: .readable, handler: slow)
        try loop.register(peer.readEnd, interest: .readable, handler: peer)
        var order: [String] = []
        // The slow handler stalls past the timer's instant, and the peer's input arrives meanwhile.
        slow.onReadable = {
            peer.poke()
            usleep(50_000)
        }
        peer.onReadable = { order.append("input") }
        loop.schedule(afterMilliseconds: 10) { order.append("timer") }
        slow.poke()
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        while order.count < 2 && !deadline.hasPassed { try loop.runOnce(timeoutMilliseconds: 100) }
        #expect(order == ["input", "timer"])
    }

    @Test func shouldEndTurnLeavesTheRestOfTheBatchForTheNextTurn() throws {
        let loop = try EventLoop()
        let readers = try (0..<3).map { _ in try PipeReader() }
        var handled = 0
        for reader in readers {
            try loop.register(reader.readEnd, interest: .readable, handler: reader)
            reader.onReadable = { handled += 1 }
            reader.poke()
        }
        loop.shouldEndTurn = { handled >= 1 }
        try loop.runOnce(timeoutMilliseconds: 1_000)
        #expect(handled == 1)
        loop.shouldEndTurn = nil
        try loop.runOnce(timeoutMilliseconds: 1_000)
        #expect(handled == 3)
    }
}
