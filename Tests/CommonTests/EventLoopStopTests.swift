import Testing
@testable import ConclaveTransport

/// `EventLoop.stop` from a deferred action: the turn must not then wait for events. Each test has a safety
/// timer, so that a loop that does wait returns when it fires (and the test says so) instead of never.
@Suite struct EventLoopStopTests {
    /// Schedules the safety timer: it stops `loop` and records that the loop waited for it. It holds the loop
    /// unowned: the loop keeps the pending timer, and the cycle would outlive the test (LeakSanitizer).
    private func safetyTimer(on loop: EventLoop, waited: @escaping () -> Void) {
        loop.schedule(afterMilliseconds: 5_000) { [unowned loop] in
            waited()
            loop.stop()
        }
    }

    @Test func aStopFromARunSoonActionEndsRunWithoutWaiting() throws {
        let loop = try EventLoop()
        var waited = false
        safetyTimer(on: loop) { waited = true }
        var ran = false
        loop.runSoon {
            ran = true
            loop.stop()
        }
        try loop.run()
        #expect(ran)
        #expect(!waited)
    }

    @Test func aStopFromARunSoonActionEndsAnUnboundedTurn() throws {
        let loop = try EventLoop()
        var waited = false
        safetyTimer(on: loop) { waited = true }
        loop.runSoon { loop.stop() }
        try loop.runOnce(timeoutMilliseconds: -1)
        #expect(!waited)
    }

    @Test func aStopBeforeRunIsKeptAndRunCanTurnAgainAfterwards() throws {
        let loop = try EventLoop()
        var waited = false
        safetyTimer(on: loop) { waited = true }
        var turns = 0
        loop.stop()
        try loop.run()
        // The stop ended that run; the next one turns until its own stop.
        safetyTimer(on: loop) { waited = true }
        loop.runSoon {
            turns += 1
            loop.runSoon {
                turns += 1
                loop.stop()
            }
        }
        try loop.run()
        #expect(turns == 2)
        #expect(!waited)
    }
}
