import Testing
@testable import ConclaveStore

@Suite struct StoreHistoryTests {
    private func withChannel(_ kind: StoreKind, _ body: (any ServerStore) throws -> Void) throws {
        try withStore(kind) { store in
            try store.createChannel("general", visibility: .public, createdBy: "alice", at: 1)
            try body(store)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func returnsRowsStrictlyAfterTheWatermarkOldestFirst(_ kind: StoreKind) throws {
        try withChannel(kind) { store in
            try store.createChannel("other", visibility: .public, createdBy: "alice", at: 1)
            // Inserted out of time order on purpose.
            for (ts, byte) in [(30, 3), (10, 1), (20, 2)] as [(Int64, UInt8)] {
                try store.appendMessage(toChannel: "general", from: "alice/laptop/main", payload: [byte], at: ts)
            }
            try store.appendMessage(toChannel: "other", from: "bob/pc/main", payload: [9], at: 15)

            let all = try store.messages(inChannel: "general", after: 0, limit: 500)
            #expect(all.map(\.timeMs) == [10, 20, 30])
            #expect(all.map(\.payload) == [[1], [2], [3]])
            #expect(all.allSatisfy { $0.channel == "general" && $0.from == "alice/laptop/main" })
            #expect(try store.messages(inChannel: "general", after: 10, limit: 500).map(\.timeMs) == [20, 30])
            #expect(try store.messages(inChannel: "general", after: 30, limit: 500).isEmpty)
            #expect(try store.messages(inChannel: "general", after: -5, limit: 500).count == 3)
            #expect(try store.messages(inChannel: "general", after: .min, limit: .max).count == 3)
            #expect(try store.messages(inChannel: "general", after: 0, limit: 2).map(\.timeMs) == [10, 20])
            #expect(try store.messages(inChannel: "general", after: 0, limit: 0).isEmpty)
            #expect(try store.messages(inChannel: "general", after: 0, limit: -1).isEmpty)
            #expect(try store.messages(inChannel: "missing", after: 0, limit: 500).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func equalTimestampsComeInInsertionOrder(_ kind: StoreKind) throws {
        try withChannel(kind) { store in
            for byte in UInt8(0)..<6 {
                try store.appendMessage(toChannel: "general", from: "a/b/c", payload: [byte], at: byte < 3 ? 100 : 200)
            }
            let firstPage = try store.messages(inChannel: "general", after: 0, limit: 2)
            #expect(firstPage.map(\.payload) == [[0], [1]])
            // The §6.5 recommendation: re-ask with last − 1 and drop duplicates.
            let secondPage = try store.messages(inChannel: "general", after: 99, limit: 4)
            #expect(secondPage.map(\.payload) == [[0], [1], [2], [3]])
            let rest = try store.messages(inChannel: "general", after: 100, limit: 10)
            #expect(rest.map(\.payload) == [[3], [4], [5]])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func payloadsRoundTripByteForByte(_ kind: StoreKind) throws {
        try withChannel(kind) { store in
            var huge = [UInt8](repeating: 0xa5, count: 16 << 20)
            huge[0] = 0
            huge[huge.count - 1] = 1
            let payloads: [[UInt8]] = [[], [0], [0, 0, 0xff], huge]
            for (index, payload) in payloads.enumerated() {
                try store.appendMessage(
                    toChannel: "general", from: "a\u{0}/b/c", payload: payload, at: Int64(index + 1))
            }
            let stored = try store.messages(inChannel: "general", after: 0, limit: 10)
            #expect(stored.map(\.payload) == payloads)
            #expect(stored.allSatisfy { $0.from == "a\u{0}/b/c" })
        }
    }

    @Test(arguments: StoreKind.allCases)
    func appendingToAMissingChannelIsAConstraintError(_ kind: StoreKind) throws {
        try withChannel(kind) { store in
            expectStoreError(.constraint) {
                try store.appendMessage(toChannel: "missing", from: "a/b/c", payload: [1], at: 1)
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aBatchIsStoredInOrderAllOrNone(_ kind: StoreKind) throws {
        try withChannel(kind) { store in
            let first = MessageRecord(channel: "general", from: "a/b/c", payload: [1], timeMs: 5)
            let second = MessageRecord(channel: "general", from: "a/b/d", payload: [2], timeMs: 5)
            try store.appendMessages([first, second])
            #expect(try store.messages(inChannel: "general", after: 0, limit: 10) == [first, second])
            let orphan = MessageRecord(channel: "missing", from: "a/b/c", payload: [3], timeMs: 6)
            let third = MessageRecord(channel: "general", from: "a/b/c", payload: [4], timeMs: 6)
            expectStoreError(.constraint) { try store.appendMessages([third, orphan]) }
            #expect(try store.messages(inChannel: "general", after: 0, limit: 10) == [first, second])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func purgeDeletesOnlyRowsOlderThanTheCutoff(_ kind: StoreKind) throws {
        try withChannel(kind) { store in
            try store.createChannel("other", visibility: .public, createdBy: "alice", at: 1)
            for ts in [Int64(5), 10, 15, 20] {
                try store.appendMessage(toChannel: "general", from: "a/b/c", payload: [1], at: ts)
                try store.appendMessage(toChannel: "other", from: "a/b/c", payload: [2], at: ts)
            }
            #expect(try store.purgeMessages(olderThan: 15) == 4)
            #expect(try store.messages(inChannel: "general", after: 0, limit: 10).map(\.timeMs) == [15, 20])
            #expect(try store.messages(inChannel: "other", after: 0, limit: 10).map(\.timeMs) == [15, 20])
            #expect(try store.purgeMessages(olderThan: 15) == 0)
            #expect(try store.purgeMessages(olderThan: .max) == 4)
        }
    }
}
