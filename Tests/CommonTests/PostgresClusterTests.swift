import Glibc
import Testing
import PostgresFixture
@testable import ConclaveStore

/// The directory several instances share, two instances on one database, called as their cores call it.
@Suite struct PostgresClusterTests {
    /// Two instances of one deployment: each a store and a directory of its own on one database.
    private struct Deployment {
        let url: String
        let storeA: PostgresStore
        let storeB: PostgresStore
        let a: PostgresCluster
        let b: PostgresCluster

        init() throws {
            url = try TemporaryPostgres.shared().makeDatabase()
            storeA = try PostgresStore(url: url)
            storeB = try PostgresStore(url: url)
            a = try PostgresCluster(store: storeA, url: url, instance: "A")
            b = try PostgresCluster(store: storeB, url: url, instance: "B")
        }
    }

    @Test func aClaimOnAnotherInstanceNamesThePreviousHolderWithANewerGeneration() throws {
        let deployment = try Deployment()
        let first = try deployment.a.claim("alice/laptop/main")
        #expect(first.previousInstance == nil)
        try deployment.a.subscribe("alice/laptop/main", generation: first.generation, to: "ops")
        let second = try deployment.b.claim("alice/laptop/main")
        #expect(second.previousInstance == "A")
        #expect(second.generation > first.generation)
        // The superseded session's subscriptions went with it, and its release does not remove the new claim.
        #expect(try deployment.a.subscribers(of: "ops") == [])
        try deployment.a.release("alice/laptop/main", generation: first.generation)
        #expect(try deployment.a.instance(holding: "alice/laptop/main") == "B")
        #expect(try deployment.b.onlinePaths() == ["alice/laptop/main"])
        // A late subscribe of the old session changes nothing.
        try deployment.a.subscribe("alice/laptop/main", generation: first.generation, to: "ops")
        #expect(try deployment.b.subscribers(of: "ops") == [])
    }

    @Test func ofTwoClaimsOfOnePathAtOnceTheLaterNamesTheEarlier() throws {
        let url = try TemporaryPostgres.shared().makeDatabase()
        _ = try PostgresStore(url: url)
        let paths = (0..<200).map { "alice/laptop/s\($0)" }
        let outcomes = onThreads(2) { index in
            Result { () throws(StoreError) -> [(generation: Int64, previousInstance: String?)] in
                let cluster = try PostgresCluster(store: PostgresStore(url: url), url: url, instance: "\(index)")
                var claims: [(generation: Int64, previousInstance: String?)] = []
                for path in paths { claims.append(try cluster.claim(path)) }
                return claims
            }
        }
        let first = try outcomes[0].get()
        let second = try outcomes[1].get()
        for (one, other) in zip(first, second) {
            // Exactly one found the path free; the other, later, names it and holds a newer generation.
            let (earlier, later) = one.previousInstance == nil ? (one, other) : (other, one)
            #expect(earlier.previousInstance == nil)
            #expect(later.previousInstance != nil)
            #expect(later.generation > earlier.generation)
        }
    }

    @Test func subscriptionsFollowKicksRenamesDeletionsAndRemovals() throws {
        let deployment = try Deployment()
        for (cluster, path) in [(deployment.a, "alice/laptop/x"), (deployment.b, "alice/desk/y"),
                                (deployment.b, "bob/pc/z")] {
            let generation = try cluster.claim(path).generation
            try cluster.subscribe(path, generation: generation, to: "ops")
            try cluster.subscribe(path, generation: generation, to: "dev")
        }
        try deployment.a.unsubscribe(user: "alice", from: "ops")
        #expect(try deployment.b.subscribers(of: "ops") == ["bob/pc/z"])
        try deployment.b.moveSubscriptions(from: "dev", to: "eng")
        #expect(try Set(deployment.a.subscribers(of: "eng")) == ["alice/laptop/x", "alice/desk/y", "bob/pc/z"])
        try deployment.a.unsubscribe("bob/pc/z", from: "eng")
        try deployment.a.removePresence(ofUser: "alice", machine: "desk")
        #expect(try Set(deployment.b.onlinePaths()) == ["alice/laptop/x", "bob/pc/z"])
        #expect(try deployment.b.subscribers(of: "eng") == ["alice/laptop/x"])
        try deployment.b.unsubscribeAll(from: "eng")
        try deployment.b.removePresence(ofUser: "alice", machine: nil)
        #expect(try deployment.a.onlinePaths() == ["bob/pc/z"])
        #expect(try deployment.a.subscribers(of: "eng") == [])
    }

    @Test func eventsReachTheirTargetOnceInOrderAndNeverTheirPublisher() throws {
        let deployment = try Deployment()
        let c = try PostgresCluster(store: PostgresStore(url: deployment.url), url: deployment.url, instance: "C")
        try deployment.a.publish([1], to: nil)
        try deployment.a.publish([2], to: "B")
        try deployment.b.publish([3], to: "A")
        try deployment.b.publish([4], to: nil)
        // An instance reads up to what it has learnt of: from the counters here, from a notification below.
        #expect(try c.newEvents() == [])
        for cluster in [deployment.a, deployment.b, c] { #expect(try cluster.hasUnseenEntries()) }
        #expect(try deployment.a.newEvents() == [[3], [4]])
        #expect(try deployment.b.newEvents() == [[1], [2]])
        #expect(try c.newEvents() == [[1], [4]])
        #expect(try c.newEvents() == [])
        #expect(try !c.hasUnseenEntries())
        try deployment.a.publish([5], to: nil)
        #expect(try awaitNotification(c))
        #expect(try c.newEvents() == [[5]])
    }

    @Test func anInstanceIsWokenAndReadsOtherInstancesMessagesInTheLogsOrder() throws {
        let deployment = try Deployment()
        try deployment.storeA.createChannel("ops", visibility: .public, createdBy: "alice", at: 1)
        try deployment.storeA.appendMessages([message("ops", 1, at: 10), message("ops", 2, at: 11)])
        #expect(try deployment.a.newMessagesBeforeOwnAppend() == [])
        try deployment.storeB.appendMessages([message("ops", 3, at: 5)])
        // B's clock was behind: its post is stamped no earlier than the one numbered before it.
        #expect(try deployment.storeA.messages(inChannel: "ops", after: 0, limit: 10).map(\.timeMs) == [10, 11, 11])
        #expect(try deployment.b.newMessagesBeforeOwnAppend().map(\.payload) == [[1], [2]])
        #expect(try awaitNotification(deployment.a))
        #expect(try deployment.a.newMessages(atMost: .max).map(\.payload) == [[3]])
        #expect(try deployment.a.newMessages(atMost: .max) == [])
        #expect(try deployment.b.newMessages(atMost: .max) == [])
    }

    @Test func aBurstOfMessagesIsReadAPageAtATime() throws {
        let deployment = try Deployment()
        try deployment.storeA.createChannel("ops", visibility: .public, createdBy: "alice", at: 1)
        try deployment.storeA.appendMessages((1...5).map { message("ops", $0, at: 10) })
        #expect(try deployment.b.hasUnseenEntries())
        #expect(try deployment.b.newMessages(atMost: 2).map(\.payload) == [[1], [2]])
        #expect(deployment.b.hasUnreadMessages)
        #expect(try deployment.b.newMessages(atMost: 2).map(\.payload) == [[3], [4]])
        #expect(try deployment.b.newMessages(atMost: 2).map(\.payload) == [[5]])
        #expect(!deployment.b.hasUnreadMessages)
    }

    @Test func aSilentInstanceLeavesPresenceAndComesBackWithItsSessionsWhenItBeatsAgain() throws {
        let deployment = try Deployment()
        let generation = try deployment.a.claim("alice/laptop/main").generation
        try deployment.a.subscribe("alice/laptop/main", generation: generation, to: "ops")
        try deployment.b.heartbeat { [] }
        #expect(try deployment.b.removeInstances(silentForMs: 0) == 1)
        #expect(try deployment.b.onlinePaths() == [])
        try deployment.a.heartbeat {
            [ClusterSession(path: "alice/laptop/main", generation: generation, channels: ["ops"])]
        }
        #expect(try deployment.b.subscribers(of: "ops") == ["alice/laptop/main"])
        try deployment.a.leave()
        #expect(try deployment.b.onlinePaths() == [])
    }

    private func message(_ channel: String, _ byte: UInt8, at timeMs: Int64) -> MessageRecord {
        MessageRecord(channel: channel, from: "alice/laptop/main", payload: [byte], timeMs: timeMs)
    }

    /// Polls the notification socket for up to 5 s.
    private func awaitNotification(_ cluster: PostgresCluster) throws -> Bool {
        for _ in 0..<500 {
            if try cluster.takeNotifications() { return true }
            usleep(10_000)
        }
        return false
    }
}
