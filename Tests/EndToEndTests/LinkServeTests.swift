import Glibc
import Testing
@testable import ConclaveLink
@testable import ConclaveTransport
@testable import ConclaveWire

/// The link engine against the real `conclave-serve` (skipped when it is not built): every wait is bounded.
@Suite(.enabled(if: LinkServeProcess.isBuilt, "conclave-serve is not built"), .serialized)
struct LinkServeTests {
    private func registeredPair(
        _ server: LinkServeProcess, loop: EventLoop, adjust: (inout LinkTiming) -> Void = { _ in }
    ) throws -> (LinkDriver, LinkDriver) {
        let alice = try LinkDriver(
            loop: loop, url: server.url, handle: "a", registration: LinkRegistration(username: "alice", machine: "m"),
            adjust: adjust)
        let bob = try LinkDriver(
            loop: loop, url: server.url, handle: "b", registration: LinkRegistration(username: "bob", machine: "m"),
            adjust: adjust)
        try #require(try alice.run { alice.upCount == 1 && bob.upCount == 1 })
        let created = try alice.request(.admin(.createChannel(name: "ops", visibility: .public)))
        #expect(created == .frame(.ack(detail: "ops")))
        #expect(try alice.request(.join(channel: "ops", token: nil)) == .frame(.joined(channel: "ops")))
        #expect(try bob.request(.join(channel: "ops", token: nil)) == .frame(.joined(channel: "ops")))
        return (alice, bob)
    }

    private func plainHistory(_ driver: LinkDriver) throws -> [String] {
        guard case .frame(.history(_, let rows)) = try driver.request(.readSince(channel: "ops", sinceMs: 0)) else {
            return []
        }
        return rows.compactMap { if case .plain(let text) = $0.payload { text } else { nil } }
    }

    @Test func registersJoinsPostsAndReceives() throws {
        let server = try LinkServeProcess()
        let loop = try EventLoop()
        let (alice, bob) = try registeredPair(server, loop: loop)
        let path = try #require(alice.link.path)
        #expect(path.text == "alice/m/a")
        let posted = try alice.request(.channelMsg(channel: "ops", from: path, payload: .plain("hello")))
        #expect(posted == .frame(.ack(detail: nil)))
        try #require(try bob.run { !bob.deliveries.isEmpty })
        #expect(bob.deliveries == [.channelMsg(channel: "ops", from: path, payload: .plain("hello"))])
        #expect(alice.deliveries.isEmpty)
    }

    @Test(.singleServer("restarts on its data directory"))
    func survivesAKillAndRestartWithEveryInFlightPostExactlyOnce() throws {
        let server = try LinkServeProcess()
        let loop = try EventLoop()
        let (alice, bob) = try registeredPair(server, loop: loop)
        let path = try #require(alice.link.path)
        // The loop does not turn here: the server stores the first post and acks it, but the link has not read
        // the ack when the server dies. The second post is never read by the stopped server.
        let stored = alice.link.submit(.channelMsg(channel: "ops", from: path, payload: .plain("stored")))
        usleep(300_000)
        server.send(SIGSTOP)
        let unread = alice.link.submit(.channelMsg(channel: "ops", from: path, payload: .plain("unread")))
        try server.killAndRestart()
        try #require(try alice.run {
            alice.reply(to: stored) != nil && alice.reply(to: unread) != nil && alice.upCount == 2 && bob.upCount == 2
        })
        #expect(alice.downCount == 1)
        #expect(alice.events.contains { if case .retry = $0 { true } else { false } })
        #expect(alice.reply(to: stored) == .frame(.ack(detail: nil)))
        #expect(alice.reply(to: unread) == .frame(.ack(detail: nil)))
        #expect(alice.link.joinedChannels == ["ops"])
        let history = try plainHistory(alice)
        #expect(history.filter { $0 == "stored" }.count == 1, "\(history)")
        #expect(history.filter { $0 == "unread" }.count == 1, "\(history)")
        // The re-join was done by the link: a post goes through without a join of the caller's.
        let after = ProtocolMessage.channelMsg(channel: "ops", from: path, payload: .plain("after"))
        #expect(try alice.request(after) == .frame(.ack(detail: nil)))
        try #require(try bob.run { bob.deliveries.contains(after) })
    }

    @Test func twoLinksOnOnePathSupersedeEachOtherAndTheBreakerWarnsOnce() throws {
        let server = try LinkServeProcess()
        let loop = try EventLoop()
        let key = SecretSeed.generate().signingKey()
        let flapping: (inout LinkTiming) -> Void = { timing in
            timing.flapThreshold = 2
            timing.stabilityWindowMs = 60_000
            timing.backoffBaseMs = 20
            timing.backoffCapMs = 80
        }
        let first = try LinkDriver(
            loop: loop, url: server.url, handle: "same",
            registration: LinkRegistration(username: "alice", machine: "m"), signingKey: key, adjust: flapping)
        try #require(try first.run { first.upCount == 1 })
        let second = try LinkDriver(
            loop: loop, url: server.url, handle: "same", registration: nil, signingKey: key, adjust: flapping)
        try #require(try first.run(for: 15_000) { !first.warnings.isEmpty && !second.warnings.isEmpty })
        let superseded = "session superseded by a newer connection for the same session path"
        #expect(first.events.contains { if case .down(let reason) = $0 { reason.contains(superseded) } else { false } })
        try first.run(for: 500) { false }
        #expect(first.warnings.count == 1 && second.warnings.count == 1)
        #expect(first.warnings.first?.contains("`same`") == true)
        first.link.shutdown()
        second.link.shutdown()
        try #require(try first.run { first.events.contains { if case .ended = $0 { true } else { false } } })
    }

    @Test func aStoppedServerIsFoundDeadAndTheLinkRecoversAfterContinue() throws {
        let server = try LinkServeProcess()
        defer { server.send(SIGCONT) }
        let loop = try EventLoop()
        let alice = try LinkDriver(
            loop: loop, url: server.url, handle: "a", registration: LinkRegistration(username: "alice", machine: "m")
        ) { timing in
            timing.pingIntervalMs = 300
            timing.pongTimeoutMs = 300
        }
        try #require(try alice.run { alice.upCount == 1 })
        server.send(SIGSTOP)
        try #require(try alice.run(for: 5_000) { alice.downCount == 1 })
        let reason = alice.events.compactMap { if case .down(let reason) = $0 { reason } else { nil } }.first
        #expect(reason?.contains("of a ping") == true)
        server.send(SIGCONT)
        try #require(try alice.run(for: 10_000) { alice.upCount == 2 })
        #expect(try alice.request(.listChannels) != nil)
    }
}
