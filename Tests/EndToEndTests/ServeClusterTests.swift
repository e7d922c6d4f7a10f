import PostgresFixture
import Testing
@testable import ConclaveWire

/// Three real `conclave-serve` instances on one PostgreSQL database, sessions spread over them: the clients must
/// see exactly one server (issue 16 §2, PROTOCOL.md §5–6).
@Suite("conclave-serve cluster end to end")
struct ServeClusterTests {
    private typealias Cluster = ServeCluster

    // MARK: Posts

    @Test func postsFromOneInstanceReachEveryOtherOnceInTheOrderOfHistory() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let aside = try ServeClient.session(cluster.a.url, Cluster.alice, handle: "aside")
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        for client in [alice, aside, bob, carol] { try client.join("ops") }

        let bodies = (0..<20).map { "post \($0)" }
        // Pipelined: the other instances follow a log that grows while they read it.
        for body in bodies { try alice.sendPost(body, to: "ops") }
        #expect(try alice.next(bodies.count) == Array(repeating: .ack(detail: nil), count: bodies.count))
        let received = try [aside, bob, carol].map { try $0.next(bodies.count) }
        // Exactly once: nothing follows, and no echo to the sender.
        for client in [alice, aside, bob, carol] { #expect(client.isQuiet(for: 200)) }
        let history = try carol.history("ops")
        #expect(history.map(\.payload) == bodies.map { .plain($0) })
        for frames in received { #expect(frames == deliveries(of: history, in: "ops"), "\(cluster.logs)") }
        #expect(try alice.history("ops") == history)
        #expect(try bob.history("ops") == history)
    }

    @Test func concurrentPostersOnTwoInstancesAreSeenEverywhereInTheOrderOfHistory() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let watchers = try [cluster.a, cluster.b, cluster.c].enumerated().map { index, instance in
            try ServeClient.session(
                instance.url, Cluster.carol, handle: "watch\(index)", register: index == 0 ? ("carol", "tower") : nil)
        }
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        for client in [alice, bob] + watchers { try client.join("ops") }

        let count = 50
        for index in 0..<count {
            try alice.sendPost("a\(index)", to: "ops")
            try bob.sendPost("b\(index)", to: "ops")
        }
        // Each poster gets its acks and the other's posts, interleaved.
        let aliceFrames = try alice.next(2 * count)
        let bobFrames = try bob.next(2 * count)
        let received = try watchers.map { try $0.next(2 * count) }
        for client in [alice, bob] + watchers { #expect(client.isQuiet(for: 200)) }
        let rows = try watchers[2].history("ops")
        let history = deliveries(of: rows, in: "ops")
        #expect(history.count == 2 * count)
        for (watcher, frames) in zip(watchers, received) {
            #expect(frames == history, "\(cluster.logs)")
            #expect(try watcher.history("ops") == rows)
        }
        for (poster, frames) in [(alice, aliceFrames), (bob, bobFrames)] {
            let path = try #require(poster.path)
            #expect(frames.filter { $0 == .ack(detail: nil) }.count == count)
            let others = history.filter {
                guard case let .channelMsg(_, from, _) = $0 else { return false }
                return from != path
            }
            #expect(frames.filter { $0 != .ack(detail: nil) } == others, "\(cluster.logs)")
        }
    }

    // MARK: Whispers and presence

    @Test func whispersAndWhoSpanTheInstances() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        let (alicePath, bobPath, carolPath) = try (#require(alice.path), #require(bob.path), #require(carol.path))

        #expect(try alice.request(.whisper(from: alicePath, target: bobPath, payload: .plain("psst")))
            == .ack(detail: nil))
        #expect(try bob.next() == .whisper(from: alicePath, target: bobPath, payload: .plain("psst")),
                "\(cluster.logs)")
        #expect(try carol.request(.whisper(from: carolPath, target: alicePath, payload: .plain("back")))
            == .ack(detail: nil))
        #expect(try alice.next() == .whisper(from: carolPath, target: alicePath, payload: .plain("back")))
        let nowhere = SessionPath(user: "bob", machine: "desk", session: "gone")
        #expect(try carol.request(.whisper(from: carolPath, target: nowhere, payload: .plain("?")))
            == .error(.notFound("session `bob/desk/gone` is not online")))

        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        try alice.join("ops")
        try carol.join("ops")
        for client in [alice, bob, carol] {
            #expect(try client.who() == whoOrder([alicePath, bobPath, carolPath]))
            #expect(try client.who("ops") == whoOrder([alicePath, carolPath]))
        }
    }

    /// One sender's posts and whispers reach a session on another instance in the order sent, as from one server:
    /// the whisper waits for the posts sent before it, though it travels as an event and they through history.
    @Test func aWhisperComesAfterThePostsSentBeforeIt() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let (alicePath, bobPath) = try (#require(alice.path), #require(bob.path))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        try alice.join("ops")
        try bob.join("ops")

        // Pipelined, so that the posts are still staged for the turn's commit when the whisper is handled.
        try alice.sendPost("one", to: "ops")
        try alice.sendPost("two", to: "ops")
        try alice.send(.whisper(from: alicePath, target: bobPath, payload: .plain("psst")))
        #expect(try alice.next(3) == [.ack(detail: nil), .ack(detail: nil), .ack(detail: nil)])
        #expect(try bob.next(3) == [
            .channelMsg(channel: "ops", from: alicePath, payload: .plain("one")),
            .channelMsg(channel: "ops", from: alicePath, payload: .plain("two")),
            .whisper(from: alicePath, target: bobPath, payload: .plain("psst")),
        ], "\(cluster.logs)")
    }

    @Test func aSessionOnTheSamePathOnAnotherInstanceSupersedesTheFirst() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.c.url, Cluster.alice, register: ("alice", "laptop"))
        let older = try ServeClient.session(cluster.a.url, Cluster.bob, register: ("bob", "desk"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        try older.join("ops")

        let newer = try ServeClient.session(cluster.b.url, Cluster.bob)
        #expect(newer.path == older.path)
        #expect(older.framesUntilClosed() == [.error(.unauthorized(DropReason.superseded.text))], "\(cluster.logs)")
        // The path once, and none of the older session's subscriptions.
        #expect(try alice.who() == whoOrder([alice.path, newer.path]))
        #expect(try alice.who("ops") == [])
        try newer.join("ops")
        #expect(try alice.who("ops") == whoOrder([newer.path]))
        try alice.join("ops")
        #expect(try alice.post("still here?", to: "ops") == .ack(detail: nil))
        #expect(try newer.next() == .channelMsg(
            channel: "ops", from: try #require(alice.path), payload: .plain("still here?")))
    }

    // MARK: Admin operations

    @Test func kicksAndBansOnOneInstanceTakeEffectOnTheOthers() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        for client in [alice, bob, carol] { try client.join("ops") }
        let alicePath = try #require(alice.path)
        let notMember = ProtocolMessage.error(.unauthorized("not a member of channel `ops`"))

        // A kick by user name: refused at once on B, and B no longer delivers to it.
        #expect(try alice.request(.admin(.kick(channel: "ops", target: "bob"))) == .ack(detail: "bob"))
        #expect(try bob.post("after the kick", to: "ops") == notMember, "\(cluster.logs)")
        #expect(try bob.request(.readSince(channel: "ops", sinceMs: 0)) == notMember)
        #expect(try alice.post("one", to: "ops") == .ack(detail: nil))
        #expect(try carol.next() == .channelMsg(channel: "ops", from: alicePath, payload: .plain("one")))
        #expect(bob.isQuiet(for: 300))
        // The kicked session may re-join at once.
        try bob.join("ops")

        // A kick naming one session's path.
        let carolPath = try #require(carol.path)
        #expect(try alice.request(.admin(.kick(channel: "ops", target: carolPath.text)))
            == .ack(detail: carolPath.text))
        #expect(try carol.post("after the kick", to: "ops") == notMember, "\(cluster.logs)")
        try carol.join("ops")

        // A ban: refused on B at once, and so is a join of another of bob's sessions on C.
        #expect(try alice.request(.admin(.ban(channel: "ops", user: "bob"))) == .ack(detail: "bob"))
        #expect(try bob.post("after the ban", to: "ops") == notMember, "\(cluster.logs)")
        let bobOnC = try ServeClient.session(cluster.c.url, Cluster.bob, handle: "other")
        #expect(try bobOnC.request(.join(channel: "ops", token: nil))
            == .error(.unauthorized("channel `ops` is private")))
        #expect(try alice.post("two", to: "ops") == .ack(detail: nil))
        #expect(try carol.next() == .channelMsg(channel: "ops", from: alicePath, payload: .plain("two")))
        #expect(bob.isQuiet(for: 300))
        #expect(try alice.who("ops") == whoOrder([alicePath, carolPath]))
    }

    @Test func aclAndVisibilityChangesOnOneInstanceTakeEffectOnTheOthers() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let aliceOnC = try ServeClient.session(cluster.c.url, Cluster.alice, handle: "c")
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        let hidden = ProtocolMessage.error(.notFound("channel `secret` not found"))
        #expect(try alice.request(.admin(.createChannel(name: "secret", visibility: .private)))
            == .ack(detail: "secret"))
        #expect(try bob.request(.join(channel: "secret", token: nil)) == hidden)

        #expect(try alice.request(.admin(.aclAdd(channel: "secret", user: "bob"))) == .ack(detail: "bob"))
        try bob.join("secret")
        try alice.join("secret")
        try aliceOnC.join("secret")
        #expect(try bob.who("secret") == whoOrder([alice.path, aliceOnC.path, bob.path]))

        #expect(try alice.request(.admin(.aclRemove(channel: "secret", user: "bob"))) == .ack(detail: "bob"))
        #expect(try bob.post("still in?", to: "secret")
            == .error(.unauthorized("not a member of channel `secret`")), "\(cluster.logs)")
        #expect(try bob.request(.join(channel: "secret", token: nil)) == hidden)
        #expect(try alice.post("members only", to: "secret") == .ack(detail: nil))
        #expect(try aliceOnC.next() == .channelMsg(
            channel: "secret", from: try #require(alice.path), payload: .plain("members only")))
        #expect(bob.isQuiet(for: 300))

        // Made public on A: a non-member joins on C at once.
        #expect(try alice.request(.admin(.setVisibility(name: "secret", visibility: .public)))
            == .ack(detail: "secret"))
        try carol.join("secret")
        #expect(try carol.who("secret") == whoOrder([alice.path, aliceOnC.path, carol.path]))
        // Private again: live subscriptions stay (§6.7), new joins and who of non-members are refused everywhere.
        #expect(try alice.request(.admin(.setVisibility(name: "secret", visibility: .private)))
            == .ack(detail: "secret"))
        #expect(try carol.post("still subscribed", to: "secret") == .ack(detail: nil))
        #expect(try bob.request(.join(channel: "secret", token: nil)) == hidden)
        #expect(try carol.request(.who(channel: "secret")) == hidden)
    }

    @Test func channelRenameAndDeletionOnOneInstanceTakeEffectOnTheOthers() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        for client in [alice, bob, carol] { try client.join("ops") }
        let bobPath = try #require(bob.path)

        // Subscriptions follow the new name on every instance.
        #expect(try alice.request(.admin(.renameChannel(name: "ops", newName: "ops2"))) == .ack(detail: "ops2"))
        #expect(try bob.post("renamed", to: "ops2") == .ack(detail: nil), "\(cluster.logs)")
        let renamed = ProtocolMessage.channelMsg(channel: "ops2", from: bobPath, payload: .plain("renamed"))
        #expect(try alice.next() == renamed)
        #expect(try carol.next() == renamed)
        #expect(try carol.post("old name", to: "ops") == .error(.unauthorized("not a member of channel `ops`")))
        #expect(try carol.who("ops2") == whoOrder([alice.path, bob.path, carol.path]))

        // Deleted on A: gone for B and C at once, and a new channel of that name has no one subscribed.
        #expect(try alice.request(.admin(.deleteChannel(name: "ops2"))) == .ack(detail: "ops2"))
        #expect(try bob.post("deleted?", to: "ops2") == .error(.unauthorized("not a member of channel `ops2`")))
        #expect(try carol.request(.join(channel: "ops2", token: nil)) == .error(.notFound("channel `ops2`")))
        #expect(try alice.request(.admin(.createChannel(name: "ops2", visibility: .public))) == .ack(detail: "ops2"))
        #expect(try bob.who("ops2") == [], "\(cluster.logs)")
        try alice.join("ops2")
        #expect(try alice.post("fresh", to: "ops2") == .ack(detail: nil))
        #expect(bob.isQuiet(for: 300))
        #expect(carol.isQuiet(for: 0))
    }

    @Test func removedUsersAndMachinesAreDroppedOnEveryInstance() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let bobOnC = try ServeClient.session(cluster.c.url, Cluster.bob, handle: "other")
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        let phoneKey = TestIdentity(seedStart: 150)
        #expect(try bob.request(.admin(.machineAdd(name: "phone", pubkey: phoneKey.publicKey)))
            == .ack(detail: "phone"))
        let phone = try ServeClient.session(cluster.c.url, phoneKey)
        #expect(phone.path == SessionPath(user: "bob", machine: "phone", session: "main"))

        #expect(try bob.request(.admin(.machineRemove(name: "phone"))) == .ack(detail: "phone"))
        #expect(phone.framesUntilClosed() == [.error(.unauthorized(DropReason.machineRevoked.text))], "\(cluster.logs)")
        #expect(try carol.who() == whoOrder([alice.path, bob.path, bobOnC.path, carol.path]))

        #expect(try alice.request(.admin(.userRemove(username: "bob"))) == .ack(detail: "bob"))
        for session in [bob, bobOnC] {
            #expect(session.framesUntilClosed() == [.error(.unauthorized(DropReason.userRemoved.text))],
                    "\(cluster.logs)")
        }
        #expect(try carol.who() == whoOrder([alice.path, carol.path]))
        #expect(try alice.request(.listUsers) == .userList(users: ["alice", "carol"]))
    }

    // MARK: Failures and consistency

    /// The instance timeout is 20 s, checked at each 5 s heartbeat: the ghosts go within 30 s.
    @Test func anInstanceKilledWithSIGKILLLeavesNoGhostsAndLosesNoAcknowledgedPost() throws {
        let cluster = try Cluster()
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let carol = try ServeClient.session(cluster.c.url, Cluster.carol, register: ("carol", "tower"))
        let carolAside = try ServeClient.session(cluster.c.url, Cluster.carol, handle: "aside")
        #expect(try alice.request(.admin(.createChannel(name: "ops", visibility: .public))) == .ack(detail: "ops"))
        for client in [alice, bob, carol, carolAside] { try client.join("ops") }

        let bodies = (0..<20).map { "last words \($0)" }
        for body in bodies { try carol.sendPost(body, to: "ops") }
        #expect(try carol.next(bodies.count) == Array(repeating: .ack(detail: nil), count: bodies.count))
        cluster.c.kill()
        let ghostsDue = Deadline.after(seconds: 30)

        let carolPath = try #require(carol.path)
        let posts = bodies.map { ProtocolMessage.channelMsg(channel: "ops", from: carolPath, payload: .plain($0)) }
        #expect(try alice.next(posts.count) == posts, "\(cluster.logs)")
        #expect(try bob.next(posts.count) == posts)
        #expect(deliveries(of: try alice.history("ops"), in: "ops") == posts)
        #expect(deliveries(of: try bob.history("ops"), in: "ops") == posts)

        let survivors = whoOrder([alice.path, bob.path])
        let cleared = try eventually(within: 40) {
            try alice.who() == survivors && bob.who("ops") == survivors
        }
        #expect(cleared && !ghostsDue.hasPassed, "\(cluster.logs)")
        #expect(try alice.post("carry on", to: "ops") == .ack(detail: nil))
        #expect(try bob.next() == .channelMsg(
            channel: "ops", from: try #require(alice.path), payload: .plain("carry on")))
    }

    @Test func whatOneInstanceAcknowledgedIsSeenAtOnceOnTheOthers() throws {
        let cluster = try Cluster()
        // Registered on B, authenticated on C and A right after.
        let bob = try ServeClient.session(cluster.b.url, Cluster.bob, register: ("bob", "desk"))
        let bobOnC = try ServeClient.session(cluster.c.url, Cluster.bob, handle: "c")
        let alice = try ServeClient.session(cluster.a.url, Cluster.alice, register: ("alice", "laptop"))

        #expect(try alice.request(.admin(.createChannel(name: "fresh", visibility: .public)))
            == .ack(detail: "fresh"))
        try bob.join("fresh")
        #expect(try bobOnC.who("fresh") == whoOrder([bob.path]))
        #expect(try bob.request(.leave(channel: "fresh")) == .ack(detail: "fresh"))
        #expect(try bobOnC.who("fresh") == [])

        #expect(try alice.request(.admin(.createChannel(name: "inner", visibility: .private)))
            == .ack(detail: "inner"))
        #expect(try alice.request(.admin(.aclAdd(channel: "inner", user: "bob"))) == .ack(detail: "bob"))
        try bob.join("inner")
        #expect(try bobOnC.request(.listChannels) == .channelList(channels: [
            ChannelInfo(name: "fresh", visibility: .public, member: false),
            ChannelInfo(name: "inner", visibility: .private, member: true),
        ]))

        #expect(try alice.request(.admin(.createChannel(name: "club", visibility: .private))) == .ack(detail: "club"))
        let invite = try alice.request(.admin(.inviteCreate(channel: "club", uses: 1, expiresInSecs: nil)))
        guard case let .inviteToken(token) = invite else {
            throw ToolProcessError(description: "expected an invite token, got \(invite)")
        }
        #expect(try bobOnC.request(.join(channel: "club", token: token)) == .joined(channel: "club"))
        let carol = try ServeClient.session(cluster.b.url, Cluster.carol, register: ("carol", "tower"))
        #expect(try carol.request(.join(channel: "club", token: token))
            == .error(.notFound("channel `club` not found")))

        let phoneKey = TestIdentity(seedStart: 150)
        #expect(try alice.request(.admin(.machineAdd(name: "phone", pubkey: phoneKey.publicKey)))
            == .ack(detail: "phone"))
        let phone = try ServeClient.session(cluster.c.url, phoneKey)
        #expect(phone.path == SessionPath(user: "alice", machine: "phone", session: "main"))
        #expect(phone.isAdmin)
    }

    @Test func everyInstanceReportsTheSameServerID() throws {
        let cluster = try Cluster()
        let late = try ServeProcess(Cluster.arguments, storage: .postgres(cluster.database))
        let ids = try (cluster.instances + [late]).map { try ServeClient(url: $0.url).connection.serverID }
        let id = try #require(ids[0])
        #expect(id.utf8.count == 32)
        #expect(ids.allSatisfy { $0 == id }, "\(ids)")
    }

    // MARK: The tools

    @Test func conclaveSendOnOneInstanceReachesConclaveRecvOnAnother() throws {
        let database = try TemporaryPostgres.shared().makeDatabase()
        let world = try ConnectWorld(storage: .postgres(database))
        let others = try ServeProcess.several(2, ["--admin", "alice"], storage: .postgres(database))
        try world.register("alice")
        try world.createChannel("ops")

        let follower = try ToolProcess(
            ToolProcess.binary("conclave-recv"),
            arguments: ["--config-dir", world.directory("alice"), "-u", others[1].url, "--since", "0s", "ops"],
            environment: world.environment(), workingDirectory: world.sandbox.home)
        try #require(follower.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "history_end" } != nil)
        let sent = try world.send(
            "alice", ["ops"], stdin: "one\ntwo\nthree\n", environment: ["CONCLAVE_URL": others[0].url])
        #expect(sent.status == 0, "\(sent.stderrText)")
        #expect(postBodies(follower, count: 3, within: 10) == ["one", "two", "three"])

        let replay = try world.recv("alice", ["--since", "1h", "--history-only", "ops"])
        #expect(replay.status == 0, "\(replay.stderrText)")
        #expect(bodies(records(replay.stdoutLines)) == ["one", "two", "three"])
    }
}
