import Glibc
import Synchronization
import ConclavePOSIX
import Testing
import PostgresFixture
@testable import ConclaveStore

/// What only the PostgreSQL store has: a database that several servers share (schema, instance id, the message
/// log and its notifications), and a URL to keep out of logs.
@Suite struct PostgresStoreTests {
    @Test func severalStoresCreatingTheSchemaAtOnceAllSucceedAndAgreeOnTheInstanceID() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let outcomes = onThreads(6) { _ in
            Result { () throws(StoreError) -> String in try PostgresStore(url: url).instanceID() }
        }
        let ids = try outcomes.map { try $0.get() }
        #expect(Set(ids).count == 1)
        #expect(try PostgresStore(url: url).schemaVersion() == PostgresSchema.currentVersion)
    }

    @Test func twoStoresOnOneDatabaseShareTheInstanceIDAndTheState() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let first = try PostgresStore(url: url)
        let second = try PostgresStore(url: url)
        #expect(try first.instanceID() == second.instanceID())
        #expect(try PostgresStore(url: TemporaryPostgres.shared().makeDatabase()).instanceID() != first.instanceID())
        try first.createChannel("club", visibility: .private, createdBy: "alice", at: 1)
        try first.createInvite(
            InviteRecord(token: "t", channel: "club", usesRemaining: 1, expiresAtMs: nil, createdBy: "alice"))
        #expect(try second.redeemInvite("t", forChannel: "club", nowMs: 2))
        #expect(try !first.redeemInvite("t", forChannel: "club", nowMs: 2))
    }

    @Test func sequencesAreGapFreeAndFollowTheLogAcrossChannelsWithTheirOrigin() throws {
        let store = try PostgresStore(url: TemporaryPostgres.shared().makeDatabase())
        #expect(try store.lastSequence() == 0)
        try store.createChannel("a", visibility: .public, createdBy: "alice", at: 1)
        try store.createChannel("b", visibility: .public, createdBy: "alice", at: 1)
        store.origin = "one"
        try store.appendMessages([message("b", 1, at: 50), message("a", 2, at: 10)])
        #expect(store.lastAppendedSequences == 1...2)
        // A failed batch uses no numbers.
        expectStoreError(.constraint) { try store.appendMessages([message("a", 3, at: 1), message("gone", 4, at: 1)]) }
        #expect(store.lastAppendedSequences == nil)
        store.origin = "two"
        try store.appendMessage(toChannel: "a", from: "a/b/c", payload: [5], at: 5)
        #expect(store.lastAppendedSequences == 3...3)
        #expect(try store.lastSequence() == 3)

        let log = try store.messages(afterSequence: 0, limit: 10)
        #expect(log.map(\.sequence) == [1, 2, 3])
        #expect(log.map(\.origin) == ["one", "one", "two"])
        #expect(log.map(\.record.channel) == ["b", "a", "a"])
        #expect(log.map(\.record.payload) == [[1], [2], [5]])
        #expect(try store.messages(afterSequence: 1, limit: 1).map(\.sequence) == [2])
        #expect(try store.messages(afterSequence: 3, limit: 10).isEmpty)
        #expect(try store.messages(afterSequence: 0, limit: 0).isEmpty)
        // Per channel, time order still rules.
        #expect(try store.messages(inChannel: "a", after: 0, limit: 10).map(\.payload) == [[5], [2]])
    }

    @Test func aBatchLargerThanOneInsertKeepsItsOrder() throws {
        let store = try PostgresStore(url: TemporaryPostgres.shared().makeDatabase())
        try store.createChannel("a", visibility: .public, createdBy: "alice", at: 1)
        let batch = (0..<2_500).map { message("a", UInt8(truncatingIfNeeded: $0), at: Int64($0 / 7)) }
        try store.appendMessages(batch)
        #expect(store.lastAppendedSequences == 1...2_500)
        #expect(try store.messages(inChannel: "a", after: -1, limit: 5_000) == batch)
        let orphaned = batch + [message("gone", 0, at: 1)]
        expectStoreError(.constraint) { try store.appendMessages(orphaned) }
        #expect(try store.lastSequence() == 2_500)
    }

    @Test func concurrentAppendsFromTwoConnectionsGetGapFreeCommitOrderedSequences() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        try PostgresStore(url: url).createChannel("a", visibility: .public, createdBy: "alice", at: 1)
        let perThread = 150
        let ranges = onThreads(2) { thread in
            Result { () throws(StoreError) -> [ClosedRange<Int64>] in
                let store = try PostgresStore(url: url)
                store.origin = "thread\(thread)"
                var ranges: [ClosedRange<Int64>] = []
                for index in 0..<perThread {
                    let size = index % 3 + 1
                    try store.appendMessages((0..<size).map { _ in message("a", UInt8(thread), at: Int64(index)) })
                    guard let range = store.lastAppendedSequences else { throw StoreError(.engine, "no range") }
                    ranges.append(range)
                }
                return ranges
            }
        }
        let assigned = try ranges.flatMap { try $0.get() }.sorted { $0.lowerBound < $1.lowerBound }
        let total = Int64(assigned.map(\.count).reduce(0, +))
        #expect(assigned.first?.lowerBound == 1)
        #expect(zip(assigned, assigned.dropFirst()).allSatisfy { $0.upperBound + 1 == $1.lowerBound })
        let reader = try PostgresStore(url: url)
        #expect(try reader.lastSequence() == total)
        let log = try reader.messages(afterSequence: 0, limit: Int(total) + 10)
        #expect(log.map(\.sequence) == Array(1...total))
        // Each thread's batches are whole and in its own order within the log.
        for range in assigned {
            let origins = Set(log[Int(range.lowerBound - 1)..<Int(range.upperBound)].map(\.origin))
            #expect(origins.count == 1)
        }
    }

    @Test func anAppendNotifiesAListenerAtCommitWithItsLastSequence() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        let store = try PostgresStore(url: url)
        try store.createChannel("a", visibility: .public, createdBy: "alice", at: 1)
        let listener = try PostgresConnection(url: url)
        try listener.execute("LISTEN \(PostgresStore.notificationChannel)")
        try store.appendMessages([message("a", 1, at: 1), message("a", 2, at: 1)])
        expectStoreError(.constraint) { try store.appendMessage(toChannel: "gone", from: "a/b/c", payload: [], at: 1) }
        try store.appendMessage(toChannel: "a", from: "a/b/c", payload: [3], at: 2)
        var received: [PostgresNotification] = []
        for _ in 0..<500 where received.count < 2 {
            received += try listener.takeNotifications()
            if received.count < 2 { usleep(10_000) }
        }
        // The failed append's notification was rolled back with it.
        #expect(received.map(\.payload) == ["2", "3"])
        #expect(received.allSatisfy { $0.channel == PostgresStore.notificationChannel })
    }

    @Test func refusesASchemaVersionItDoesNotKnow() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        _ = try PostgresStore(url: url)
        try PostgresConnection(url: url).execute(
            "UPDATE schema_version SET version = $1", [.integer(Int64(PostgresSchema.currentVersion + 1))])
        let error = #expect(throws: StoreError.self) { try PostgresStore(url: url) }
        #expect(error?.code == .unavailable)
        #expect(error?.message.contains("newer") == true, "\(error?.message ?? "")")
    }

    @Test func anUnreachableServerIsUnavailableAndNamedWithoutThePassword() throws {
        let error = #expect(throws: StoreError.self) {
            try PostgresStore(url: "postgres://me:secret@127.0.0.1:1/db?connect_timeout=2")
        }
        #expect(error?.code == .unavailable)
        #expect(error?.message.hasPrefix("cannot open database postgres://me@127.0.0.1:1/db?connect_timeout=2: ")
            == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("secret") == false)
    }

    @Test(arguments: [
        ("postgres://me:secret@host:5432/db", "postgres://me@host:5432/db"),
        ("postgresql://me@host/db", "postgresql://me@host/db"),
        ("postgres://host/db?sslmode=require&password=secret", "postgres://host/db?sslmode=require"),
        ("postgres://host/db?password=secret", "postgres://host/db"),
        ("postgres://me:p@ss@host/db", "postgres://me@host/db"),
        ("postgres:///db?host=/run/postgresql", "postgres:///db?host=/run/postgresql"),
    ])
    func theLocationLeavesOutThePassword(_ url: String, _ location: String) {
        #expect(PostgresStore.withoutPassword(url) == location)
    }

    private func message(_ channel: String, _ byte: UInt8, at timeMs: Int64) -> MessageRecord {
        MessageRecord(channel: channel, from: "alice/laptop/main", payload: [byte], timeMs: timeMs)
    }
}

/// Runs `body(i)` for each `i` in `0..<count` on a thread of its own, released together, and returns the results
/// in order.
func onThreads<Result: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) -> Result) -> [Result] {
    let results = ThreadResults<Result>()
    let gate = ThreadGate(count: count)
    let threads = (0..<count).map { index in
        // A thread that cannot start fails the test.
        try! BackgroundThread {
            gate.wait()
            results.store(body(index), at: index)
        }
    }
    for thread in threads { thread.join() }
    return results.inOrder
}

/// What the threads of ``onThreads(_:_:)`` return, by index.
private final class ThreadResults<Result: Sendable>: Sendable {
    private let results = ProcessWideLock<[Int: Result]>([:])

    func store(_ result: Result, at index: Int) {
        results.withLock { $0[index] = result }
    }

    var inOrder: [Result] {
        results.withLock { results in results.keys.sorted().map { results[$0]! } }
    }
}

/// Holds threads until all have arrived, so that their work really overlaps.
private final class ThreadGate: Sendable {
    private let arrived = Atomic<Int>(0)
    private let count: Int

    init(count: Int) {
        self.count = count
    }

    func wait() {
        arrived.add(1, ordering: .acquiringAndReleasing)
        while arrived.load(ordering: .acquiring) < count { sched_yield() }
    }
}
