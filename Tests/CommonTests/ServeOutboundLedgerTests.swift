@testable import Common
import Testing

@Suite("conclave-serve write accounting")
struct ServeOutboundLedgerTests {
    @Test func framesAreReportedOnlyOnceSurelyWritten() {
        var ledger = ServeOutboundLedger()
        ledger.append(wireBytes: 12, countedBytes: 10)
        ledger.append(wireBytes: 204, countedBytes: 200)
        #expect(ledger.settle(pendingBytes: 216) == (0, 0))
        #expect(ledger.settle(pendingBytes: 205) == (0, 0))
        #expect(ledger.settle(pendingBytes: 204) == (1, 10))
        #expect(ledger.settle(pendingBytes: 1) == (0, 0))
        #expect(!ledger.isEmpty)
        #expect(ledger.settle(pendingBytes: 0) == (1, 200))
        #expect(ledger.isEmpty)
    }

    @Test func foreignBytesInTheQueueOnlyDelayTheReport() {
        var ledger = ServeOutboundLedger()
        ledger.append(wireBytes: 3, countedBytes: 1)
        // A pong of 2 bytes queued after our frame: 2 bytes pending means our 3 may not be out yet.
        #expect(ledger.settle(pendingBytes: 2) == (0, 0))
        #expect(ledger.settle(pendingBytes: 0) == (1, 1))
        #expect(ledger.settle(pendingBytes: 0) == (0, 0))
    }

    @Test func manyFramesSettleInOrder() {
        var ledger = ServeOutboundLedger()
        for _ in 0..<1000 { ledger.append(wireBytes: 5, countedBytes: 3) }
        #expect(ledger.settle(pendingBytes: 500 * 5) == (500, 1500))
        ledger.append(wireBytes: 5, countedBytes: 3)
        #expect(ledger.settle(pendingBytes: 5) == (500, 1500))
        #expect(ledger.settle(pendingBytes: 0) == (1, 3))
        #expect(ledger.isEmpty)
    }
}
