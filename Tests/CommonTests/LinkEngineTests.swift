import Glibc
import Testing
@testable import ConclaveLink
@testable import ConclaveTransport
@testable import ConclaveWire

/// The link engine against a scripted server on the same event loop: every test is bounded by `LinkProbe.run`.
@Suite struct LinkEngineTests {
    private let me = SessionPath(user: "alice", machine: "laptop", session: "main")

    private func start(
        _ server: LinkScriptedServer, handle: SessionHandle = .explicit("main"),
        registration: LinkRegistration? = nil, reconnects: Bool = true, adjust: (inout LinkTiming) -> Void = { _ in }
    ) throws -> LinkProbe {
        let configuration = try LinkProbe.configuration(
            url: server.urlText, handle: handle, registration: registration, reconnects: reconnects, adjust: adjust)
        let probe = LinkProbe(loop: server.loop, configuration: configuration)
        probe.link.start()
        return probe
    }

    @Test func comesUpWithPathServerIDAndAdminThenAnswersInOrder() throws {
        let server = try LinkScriptedServer(loop: EventLoop(), serverID: "id-\(UInt32.random(in: 0...UInt32.max))")
        server.admin = true
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        guard case .up(let path, let serverID, let admin) = probe.events.first(where: {
            if case .up = $0 { true } else { false }
        }) else { return }
        #expect(path == me)
        #expect(serverID == server.server.configuration.serverID)
        #expect(admin == true)
        #expect(probe.link.isUp && probe.link.path == me)
        let join = probe.link.submit(.join(channel: "ops", token: nil))
        let who = probe.link.submit(.who(channel: nil))
        #expect(probe.link.outstandingCount == 2)
        try #require(try probe.run { probe.reply(to: who) != nil })
        #expect(probe.reply(to: join) == .frame(.joined(channel: "ops")))
        #expect(probe.reply(to: who) == .frame(.presence(channel: nil, sessions: [me])))
        #expect(probe.link.joinedChannels == ["ops"])
        #expect(probe.link.outstandingCount == 0)
        #expect(server.received[0].first == .hello(protocolVersion: 1, session: "main"))
    }

    @Test func withoutServerInfoTheFirstPongBringsItUp() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.sendsServerInfo = false
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        guard case .up(_, _, let admin) = probe.events.first(where: { if case .up = $0 { true } else { false } })
        else { return }
        #expect(admin == nil)
    }

    @Test func aWhisperRacingTheHandshakeIsDeliveredAfterUp() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let bob = SessionPath(user: "bob", machine: "desk", session: "x")
        let early = ProtocolMessage.whisper(from: bob, target: me, payload: .plain("early"))
        server.sendsBeforeEstablished = [.serverInfo(admin: true), .pong, early]
        let probe = try start(server)
        try #require(try probe.run { probe.deliveries == [early] })
        let upIndex = probe.events.firstIndex { if case .up = $0 { true } else { false } }
        let deliveryIndex = probe.events.firstIndex { if case .delivery = $0 { true } else { false } }
        #expect(upIndex.map { $0 < (deliveryIndex ?? 0) } == true)
        guard case .up(_, _, let admin) = probe.events[upIndex ?? 0] else { return }
        #expect(admin == false)
    }

    @Test func registersOnTheFirstHandshakeOnly() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server, registration: LinkRegistration(username: "alice", machine: "laptop"))
        try #require(try probe.run { probe.upCount == 1 })
        let first = server.received[0]
        guard first.count >= 3, case .register(let user, let machine, let key) = first[1],
              case .auth(let authKey, _) = first[2] else {
            Issue.record("expected hello, register, auth: \(first.map(\.typeName))")
            return
        }
        #expect(user == "alice" && machine == "laptop" && key == authKey)
        server.sessions[0].connection.close()
        try #require(try probe.run { probe.upCount == 2 })
        #expect(server.received[1].prefix(2).map(\.typeName) == ["hello", "auth"])
    }

    @Test func anAuthenticationRefusalEndsWithStatus77() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.handshakeRefusal = .unauthorized("unknown machine key")
        let probe = try start(server)
        let waiting = probe.link.submit(.listChannels)
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.code == .refused)
        #expect(probe.end?.exitStatus == .refused)
        #expect(probe.end?.message.contains("unknown machine key") == true)
        #expect(probe.reply(to: waiting) != nil)
        #expect(server.sessions.count == 1)
    }

    @Test(arguments: [
        (ProtocolError.malformedFrame("invalid session handle: `a/b`"), LinkEnd.Code.protocolError),
        (.unauthorized("username `alice` is already taken"), .refused),
    ])
    func handshakeRefusalsAreFatal(_ refusal: ProtocolError, _ code: LinkEnd.Code) throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.handshakeRefusal = refusal
        let probe = try start(server, registration: LinkRegistration(username: "alice", machine: "laptop"))
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.code == code)
        #expect(probe.end?.message.contains(refusal.displayText) == true)
        #expect(server.sessions.count == 1)
    }

    @Test func aHandshakeTimeoutFromTheServerIsRetried() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.handshakeRefusal = .unauthorized("handshake timed out")
        let probe = try start(server)
        try #require(try probe.run { server.sessions.count >= 3 })
        #expect(probe.end == nil)
        #expect(probe.warnings.count == 1)
        server.handshakeRefusal = nil
        try #require(try probe.run { probe.upCount == 1 })
    }

    @Test func aSilentHandshakeTimesOut() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.ignoresHello = true
        let probe = try start(server, reconnects: false) { $0.handshakeTimeoutMs = 100 }
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.code == .unreachable)
        #expect(probe.end?.message.contains("handshake") == true)
    }

    @Test func retriesExhaustedAfterBeingUpAreALostLink() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let configuration = try LinkProbe.configuration(url: server.urlText, retryLimit: 2)
        let probe = LinkProbe(loop: server.loop, configuration: configuration)
        probe.link.start()
        try #require(try probe.run { probe.upCount == 1 })
        server.server.stopAccepting()
        server.server.listener.socket.close()
        server.sessions[0].connection.close()
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.code == .lost)
        #expect(probe.end?.exitStatus == .linkLost)
    }

    @Test func aVersionMismatchOrGarbageDuringTheHandshakeIsAProtocolError() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.handshakeRefusal = .versionMismatch(ours: 1, theirs: 2)
        let probe = try start(server)
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.exitStatus == .protocolError)

        let garbled = try LinkScriptedServer(loop: EventLoop())
        garbled.challengeOverride = [0xFF, 0xFF, 0xFF]
        let second = try start(garbled)
        try #require(try second.run { second.end != nil })
        #expect(second.end?.code == .protocolError)
        #expect(second.end?.message.contains("undecodable") == true)
    }

    @Test func anUndecodableFrameAfterTheHandshakeReconnects() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        server.sessions[0].connection.send(binary: [0xEE, 1, 2])
        try #require(try probe.run { probe.upCount == 2 })
        #expect(probe.downReasons.first?.contains("undecodable") == true)
        #expect(probe.events.contains { if case .retry(1, _) = $0 { true } else { false } })
        #expect(probe.end == nil)
    }

    @Test func aForcedDropReportsTheServersReason() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        let reason = "session superseded by a newer connection for the same session path"
        server.sessions[0].send(.error(.unauthorized(reason)))
        server.sessions[0].connection.close()
        try #require(try probe.run { !probe.downReasons.isEmpty })
        #expect(probe.downReasons[0].contains(reason))
    }

    /// Issue 10 item 1: a supersede's `error` arriving while a join and a post are outstanding is the drop's
    /// reason, not the join's reply; after the reconnect the join is sent again and the post arrives.
    @Test func aForcedDropWithRequestsOutstandingAnswersNoneOfThem() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        var supersededOnce = false
        server.chaos = { session, frame in
            guard case .join = frame, !supersededOnce else { return false }
            supersededOnce = true
            session.send(.error(.unauthorized(DropReason.superseded.text)))
            session.connection.close()
            return true
        }
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        let join = probe.link.submit(.join(channel: "ops", token: nil))
        let post = probe.link.submit(.channelMsg(channel: "ops", from: me, payload: .plain("p1")))
        try #require(try probe.run { probe.reply(to: post) != nil })
        #expect(probe.reply(to: join) == .frame(.joined(channel: "ops")))
        #expect(probe.reply(to: post) == .frame(.ack(detail: nil)))
        #expect(probe.downReasons.first?.contains(DropReason.superseded.text) == true)
        #expect(server.history["ops"]?.map(\.payload) == [.plain("p1")])
    }

    @Test func aSilentServerIsFoundDeadAfterPingPlusPongTimeout() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server) { timing in
            timing.pingIntervalMs = 100
            timing.pongTimeoutMs = 100
        }
        try #require(try probe.run { probe.upCount == 1 })
        server.answersPings = false
        try #require(try probe.run(for: 3_000) { !probe.downReasons.isEmpty })
        #expect(probe.downReasons[0].contains("within 100 ms of a ping"))
        server.answersPings = true
        try #require(try probe.run { probe.upCount == 2 })
    }

    @Test func aSkippedReplyIsFoundByTheNextPongAndTheRequestIsSentAgain() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        var skipped = false
        server.chaos = { _, frame in
            guard frame == .listChannels, !skipped else { return false }
            skipped = true
            return true
        }
        let probe = try start(server) { $0.pingIntervalMs = 50 }
        try #require(try probe.run { probe.upCount == 1 })
        let list = probe.link.submit(.listChannels)
        try #require(try probe.run { probe.reply(to: list) != nil })
        #expect(probe.reply(to: list) == .frame(.channelList(channels: [])))
        #expect(probe.downReasons.first?.contains("a reply was lost") == true)
        #expect(probe.upCount == 2)
    }

    @Test func outstandingRequestsAreSortedAtADrop() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        let join = probe.link.submit(.join(channel: "ops", token: nil))
        try #require(try probe.run { probe.reply(to: join) != nil })
        server.answersRequests = false
        let post = probe.link.submit(.channelMsg(channel: "ops", from: me, payload: .plain("lost?")))
        let whisper = probe.link.submit(.whisper(from: me, target: me, payload: .plain("psst")))
        let create = probe.link.submit(.admin(.createChannel(name: "new", visibility: .public)))
        let who = probe.link.submit(.who(channel: "ops"))
        try #require(try probe.run { server.sessions[0].received.count >= 8 })
        server.answersRequests = true
        server.sessions[0].connection.close()
        try #require(try probe.run { probe.reply(to: post) != nil && probe.reply(to: who) != nil })
        let whisperText = "connection lost before the server confirmed the whisper; it may not have been delivered"
        #expect(probe.reply(to: whisper) == .failed(whisperText))
        #expect(probe.reply(to: create) == .failed("connection lost; retry"))
        #expect(probe.reply(to: post) == .frame(.ack(detail: nil)))
        #expect(probe.reply(to: who) != nil)
        // Re-join first, then the history check, then the post (not in history), then the re-sent `who`.
        let second = server.received[1].filter { $0 != .ping }.map(\.typeName)
        #expect(second == ["hello", "auth", "join", "read_since", "channel_msg", "who"])
        #expect(server.history["ops"]?.count == 1)
    }

    @Test func aPostThatArrivedIsNotSentTwice() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        let join = probe.link.submit(.join(channel: "ops", token: nil))
        let earlier = probe.link.submit(.channelMsg(channel: "ops", from: me, payload: .plain("same")))
        try #require(try probe.run { probe.reply(to: join) != nil && probe.reply(to: earlier) != nil })
        server.acknowledgesPosts = false
        let stored = probe.link.submit(.channelMsg(channel: "ops", from: me, payload: .plain("same")))
        let alsoStored = probe.link.submit(.channelMsg(channel: "ops", from: me, payload: .plain("other")))
        try #require(try probe.run { server.history["ops"]?.count == 3 })
        server.acknowledgesPosts = true
        server.sessions[0].connection.close()
        try #require(try probe.run { probe.reply(to: stored) != nil && probe.reply(to: alsoStored) != nil })
        #expect(probe.reply(to: stored) == .frame(.ack(detail: nil)))
        #expect(probe.reply(to: alsoStored) == .frame(.ack(detail: nil)))
        #expect(server.history["ops"]?.count == 3)
        #expect(!server.received[1].contains { $0.typeName == "channel_msg" })
    }

    @Test func aRefusedRejoinIsReportedAndForgotten() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        let joins = ["a", "b"].map { probe.link.submit(.join(channel: $0, token: nil)) }
        try #require(try probe.run { joins.allSatisfy { probe.reply(to: $0) != nil } })
        server.refusedChannels = ["b"]
        server.sessions[0].connection.close()
        try #require(try probe.run {
            probe.events.contains { if case .rejoinFailed("b", _) = $0 { true } else { false } }
        })
        #expect(probe.link.joinedChannels == ["a"])
        let upIndex = probe.events.lastIndex { if case .up = $0 { true } else { false } }
        let failIndex = probe.events.firstIndex { if case .rejoinFailed = $0 { true } else { false } }
        #expect(upIndex.map { $0 < (failIndex ?? 0) } == true)
    }

    @Test func requestsWaitWhileDownAndGoAfterTheRejoins() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server) { $0.backoffBaseMs = 300 }
        try #require(try probe.run { probe.upCount == 1 })
        let join = probe.link.submit(.join(channel: "ops", token: nil))
        try #require(try probe.run { probe.reply(to: join) != nil })
        server.sessions[0].connection.close()
        try #require(try probe.run { !probe.link.isUp && !probe.downReasons.isEmpty })
        let post = probe.link.submit(.channelMsg(channel: "ops", from: me, payload: .plain("queued")))
        #expect(probe.link.outstandingCount == 1)
        try #require(try probe.run { probe.reply(to: post) != nil })
        #expect(probe.reply(to: post) == .frame(.ack(detail: nil)))
        let second = server.received[1].filter { $0 != .ping }.map(\.typeName)
        #expect(second == ["hello", "auth", "join", "channel_msg"])
        guard case .channelMsg(_, let from, _) = server.received[1].last(where: { $0.typeName == "channel_msg" })
        else { return }
        #expect(from == me)
    }

    @Test func aSecondURLForTheSameServerEnds() throws {
        let loop = try EventLoop()
        let server = try LinkScriptedServer(loop: loop)
        let first = try start(server)
        try #require(try first.run { first.upCount == 1 })
        let other = "ws://localhost:\(server.port)/"
        let configuration = try LinkProbe.configuration(url: other)
        let second = LinkProbe(loop: loop, configuration: configuration)
        second.link.start()
        try #require(try second.run { second.end != nil })
        #expect(second.end?.code == .sameServer)
        #expect(second.end?.exitStatus == .unavailable)
        #expect(second.end?.message.contains(server.urlText) == true)
        #expect(server.sessions.count == 2 && server.sessions[1].received.isEmpty)
    }

    @Test func unreachableEndsAfterTheRetryLimitOrAtOnceWithoutReconnects() throws {
        let loop = try EventLoop()
        let port = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0")).address.port
        let url = "ws://127.0.0.1:\(port)/"
        let once = LinkProbe(loop: loop, configuration: try LinkProbe.configuration(url: url, reconnects: false))
        once.link.start()
        try #require(try once.run { once.end != nil })
        #expect(once.end?.code == .unreachable)
        #expect(!once.events.contains { if case .retry = $0 { true } else { false } })

        let limited = LinkProbe(loop: loop, configuration: try LinkProbe.configuration(url: url, retryLimit: 3))
        limited.link.start()
        try #require(try limited.run { limited.end != nil })
        #expect(limited.end?.exitStatus == .unavailable)
        let attempts = limited.events.compactMap { if case .retry(let attempt, _) = $0 { attempt } else { nil } }
        #expect(attempts == [1, 2])
    }

    @Test func aDialThatHangsTimesOutWithoutBlockingTheLoop() throws {
        let loop = try EventLoop()
        // Accepts TCP in the kernel's backlog but never answers the upgrade.
        let silent = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let configuration = try LinkProbe.configuration(
            url: "ws://127.0.0.1:\(silent.address.port)/", reconnects: false) { $0.dialTimeoutMs = 1_000 }
        let probe = LinkProbe(loop: loop, configuration: configuration)
        var ticks = 0
        func tick() {
            ticks += 1
            loop.schedule(afterMilliseconds: 20) { if probe.end == nil { tick() } }
        }
        tick()
        probe.link.start()
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.message.contains("timed out") == true)
        #expect(ticks >= 5)
    }

    @Test func aFlappingDefaultedHandleIsRenamed() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.dropsAfterEstablished = true
        let base = "flap-\(UInt32.random(in: 0...UInt32.max))"
        let probe = try start(server, handle: .defaulted(base: base)) { timing in
            timing.flapThreshold = 2
            timing.stabilityWindowMs = 60_000
        }
        try #require(try probe.run { server.sessions.count { !$0.handle.isEmpty } >= 3 })
        #expect(server.sessions.map(\.handle).prefix(3) == [base, base, base + "-2"])
        #expect(probe.warnings.contains("another live session holds `\(base)`; reconnecting as `\(base)-2`"))
        probe.link.shutdown()
        try #require(try probe.run { probe.end != nil })
    }

    @Test func aFlappingExplicitHandleIsWarnedAboutOnce() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        server.dropsAfterEstablished = true
        let probe = try start(server, handle: .explicit("fixed")) { timing in
            timing.flapThreshold = 2
            timing.backoffCapMs = 10
        }
        try #require(try probe.run { server.sessions.count { !$0.handle.isEmpty } >= 7 })
        #expect(Set(server.sessions.map(\.handle).filter { !$0.isEmpty }) == ["fixed"])
        #expect(probe.warnings.filter { $0.contains("--as") }.count == 1)
        probe.link.shutdown()
        try #require(try probe.run { probe.end != nil })
    }

    @Test func shutdownFailsWhatIsOutstandingAndEnds() throws {
        let server = try LinkScriptedServer(loop: EventLoop())
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        server.answersRequests = false
        let pending = probe.link.submit(.listChannels)
        try #require(try probe.run { server.sessions[0].received.contains(.listChannels) })
        probe.link.shutdown()
        try #require(try probe.run { probe.end != nil })
        #expect(probe.end?.code == .shutdown)
        #expect(probe.end?.exitStatus == .success)
        #expect(probe.reply(to: pending) == .failed("connection lost; retry"))
        let late = probe.link.submit(.listChannels)
        try #require(try probe.run { probe.reply(to: late) != nil })
        try probe.run(for: 1_000) { server.sessions[0].isEnded }
        #expect(server.sessions.count == 1)
    }

    @Test func worksOverTLSAndRefusesAnUntrustedCertificate() throws {
        let directory = "/tmp/conclave-link-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try #require(mkdir(directory, 0o700) == 0)
        defer { _ = system("rm -rf '\(directory)'") }
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        let generate = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
            + " -subj '/CN=conclave link test' -addext 'subjectAltName=IP:127.0.0.1'"
            + " -keyout '\(key)' -out '\(certificate)' >/dev/null 2>&1"
        try #require(system(generate) == 0, "openssl req failed")
        let loop = try EventLoop()
        let server = try LinkScriptedServer(
            loop: loop, tls: TLSServerContext(certificateFile: certificate, keyFile: key))
        let trusting = LinkProbe(
            loop: loop, configuration: try LinkProbe.configuration(url: server.urlText),
            tls: try TLSClientContext(extraCAFile: certificate))
        trusting.link.start()
        try #require(try trusting.run { trusting.upCount == 1 })
        let who = trusting.link.submit(.who(channel: nil))
        try #require(try trusting.run { trusting.reply(to: who) != nil })
        #expect(trusting.reply(to: who) == .frame(.presence(channel: nil, sessions: [me])))

        let untrusting = LinkProbe(
            loop: loop, configuration: try LinkProbe.configuration(url: server.urlText, reconnects: false),
            tls: try TLSClientContext(extraCAFile: nil))
        untrusting.link.start()
        try #require(try untrusting.run { untrusting.end != nil })
        #expect(untrusting.end?.code == .unreachable)
        #expect(untrusting.end?.message.contains("certificate") == true)
    }

    @Test func deliveriesAndLocalAnswers() throws {
        let loop = try EventLoop()
        let server = try LinkScriptedServer(loop: loop)
        let probe = try start(server)
        try #require(try probe.run { probe.upCount == 1 })
        let whisper = probe.link.submit(.whisper(from: me, target: me, payload: .plain("self")))
        let ping = probe.link.submit(.ping)
        let wrongWay = probe.link.submit(.pong)
        try #require(try probe.run { probe.reply(to: whisper) != nil && probe.reply(to: wrongWay) != nil })
        #expect(probe.deliveries == [.whisper(from: me, target: me, payload: .plain("self"))])
        #expect(probe.reply(to: ping) == .frame(.pong))
        guard case .failed = probe.reply(to: wrongWay) else {
            Issue.record("a server-to-client frame must not be sent")
            return
        }
    }
}
