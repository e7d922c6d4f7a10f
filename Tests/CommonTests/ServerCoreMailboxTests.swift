import Glibc
import Testing
@testable import ConclaveServer
@testable import ConclaveWire

/// The mailbox between the event loop and a core on its own thread (`CoreMailbox`): one input at a time from each
/// connection in turn, a bound per connection that pauses it, and the wake-ups of a waiting core.
@Suite struct ServerCoreMailboxTests {
    private let first = ConnectionID(1)
    private let second = ConnectionID(2)

    @Test func connectionsAreServedInTurnAndEachKeepsItsOrder() throws {
        let mailbox = try CoreMailbox(frameLimit: 100, byteLimit: 1 << 20)
        for _ in 0..<3 { mailbox.post(.frame(.ping), bytes: 1, for: first) }
        mailbox.post(.opened(acceptedAtMs: 7), for: second)
        mailbox.post(.frame(.ping), bytes: 1, for: second)
        mailbox.post(.closed, for: second)
        let taken = drain(mailbox).map { item -> String in
            guard case let .input(id, input, _) = item else { return "other" }
            return "\(id.rawValue):\(name(input))"
        }
        #expect(taken == ["1:frame", "2:opened", "1:frame", "2:frame", "1:frame", "2:closed"])
    }

    @Test func sequenceNumbersFollowThePostsAcrossConnections() throws {
        let mailbox = try CoreMailbox(frameLimit: 100, byteLimit: 1 << 20)
        mailbox.post(.frame(.ping), for: first)
        mailbox.post(.frame(.ping), for: first)
        mailbox.post(.frame(.ping), for: second)
        #expect(mailbox.postCount == 3)
        let sequences = drain(mailbox).compactMap { item -> UInt64? in
            guard case let .input(_, _, sequence) = item else { return nil }
            return sequence
        }
        #expect(sequences == [1, 3, 2])
    }

    @Test func aFullQueuePausesItsConnectionUntilHalfIsTaken() throws {
        let mailbox = try CoreMailbox(frameLimit: 4, byteLimit: 1 << 20)
        #expect((1...3).map { _ in mailbox.post(.frame(.ping), bytes: 10, for: first) } == [true, true, true])
        #expect(!mailbox.post(.frame(.ping), bytes: 10, for: first))
        var resumed: [ConnectionID] = []
        _ = mailbox.next(resumed: &resumed)
        #expect(resumed.isEmpty)
        _ = mailbox.next(resumed: &resumed)
        #expect(resumed == [first])
        #expect(mailbox.post(.frame(.ping), bytes: 10, for: first))
    }

    @Test func aQueueOverItsByteBoundPausesAndOneLargeFrameAlwaysGetsIn() throws {
        let mailbox = try CoreMailbox(frameLimit: 100, byteLimit: 1_000)
        #expect(!mailbox.post(.frame(.ping), bytes: 5_000, for: first))
        var resumed: [ConnectionID] = []
        _ = mailbox.next(resumed: &resumed)
        #expect(resumed == [first])
    }

    @Test func bytesWrittenCatchUpAndShutdownComeBeforeConnectionInputs() throws {
        let mailbox = try CoreMailbox(frameLimit: 100, byteLimit: 1 << 20)
        mailbox.post(.frame(.ping), for: first)
        mailbox.postWritten(frames: 2, bytes: 20, for: second)
        mailbox.postWritten(frames: 1, bytes: 5, for: second)
        mailbox.postContinueCatchUp()
        let items = drain(mailbox)
        guard items.count == 3, case let .wrote(counts) = items[0], case .continueCatchUp = items[1],
              case .input = items[2]
        else {
            Issue.record("unexpected order: \(items)")
            return
        }
        #expect(counts[second]?.frames == 3 && counts[second]?.bytes == 25)
        mailbox.post(.frame(.ping), for: first)
        mailbox.postShutdown()
        var resumed: [ConnectionID] = []
        guard case .shutdown = mailbox.next(resumed: &resumed) else {
            Issue.record("shutdown comes first")
            return
        }
    }

    @Test func aWaitingCoreIsWokenByThePostThatFollows() throws {
        let mailbox = try CoreMailbox(frameLimit: 100, byteLimit: 1 << 20)
        #expect(mailbox.startWaiting())
        #expect(!isReadable(mailbox.wakeup.readDescriptor))
        mailbox.post(.frame(.ping), for: first)
        #expect(isReadable(mailbox.wakeup.readDescriptor))
        mailbox.wakeup.drain()
        // Something to take: no waiting, and a busy core is not woken.
        #expect(!mailbox.startWaiting())
        mailbox.post(.frame(.ping), for: second)
        #expect(!isReadable(mailbox.wakeup.readDescriptor))
    }

    private func drain(_ mailbox: CoreMailbox) -> [CoreMailbox.Item] {
        var items: [CoreMailbox.Item] = []
        var resumed: [ConnectionID] = []
        while let item = mailbox.next(resumed: &resumed) { items.append(item) }
        return items
    }

    private func name(_ input: CoreMailbox.Input) -> String {
        switch input {
        case .opened: "opened"
        case .frame: "frame"
        case .undecodable: "undecodable"
        case .closed: "closed"
        }
    }

    private func isReadable(_ descriptor: Int32) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, 0) == 1
    }
}
