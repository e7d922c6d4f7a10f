import Glibc
import Testing
@testable import ConclaveLink
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// A small conclave server on the test's own event loop, scripted per test: it answers the handshake and the
/// requests a link sends the way PROTOCOL.md §5–6 says, and each knob bends one rule so that a test can make
/// the link meet refusals, silence, garbage and drops.
final class LinkScriptedServer: WebSocketServerConnectionHandler {
    let loop: EventLoop
    let server: WebSocketServer
    /// Every session the server accepted, oldest first.
    private(set) var sessions: [LinkScriptedSession] = []
    /// Channel history: channel → rows.
    var history: [String: [HistoryMessage]] = [:]
    /// Answers the handshake's last step with this error instead of `established`.
    var handshakeRefusal: ProtocolError?
    /// Never answers `hello`.
    var ignoresHello = false
    /// Sends these bytes in place of the challenge.
    var challengeOverride: [UInt8]?
    var sendsServerInfo = true
    var admin = false
    var answersPings = true
    /// While false, requests are recorded but not answered (pings too, unless `answersPings` alone is set).
    var answersRequests = true
    /// Stores posts and acknowledges them; when false, a post is stored but its ack never sent.
    var acknowledgesPosts = true
    /// Channels whose `join` is refused.
    var refusedChannels: Set<String> = []
    /// Sent right before `established` (a delivery racing the handshake, §5.5).
    var sendsBeforeEstablished: [ProtocolMessage] = []
    /// Closes every session right after `established`.
    var dropsAfterEstablished = false
    /// Consulted first for every frame after the handshake; true means it took care of the frame.
    var chaos: ((LinkScriptedSession, ProtocolMessage) -> Bool)?

    init(
        loop: EventLoop, serverID: String? = "scripted-\(UInt32.random(in: 0...UInt32.max))",
        tls: TLSServerContext? = nil
    ) throws {
        self.loop = loop
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        server = WebSocketServer(
            listener: listener, loop: loop, configuration: .init(serverID: serverID, tls: tls))
        scheme = tls == nil ? "ws" : "wss"
        server.onUpgrade = { [unowned self] connection in
            connection.handler = self
            self.sessions.append(LinkScriptedSession(connection: connection))
        }
        try server.start()
    }

    var port: UInt16 { server.address.port }
    private let scheme: String
    var urlText: String { "\(scheme)://127.0.0.1:\(port)/" }

    /// The frames every session received, in order.
    var received: [[ProtocolMessage]] { sessions.map(\.received) }

    private func session(for connection: WebSocketServerConnection) -> LinkScriptedSession? {
        sessions.first { $0.connection === connection }
    }

    func connection(_ connection: WebSocketServerConnection, didReceiveBinary message: [UInt8]) {
        guard let session = session(for: connection), let frame = try? ProtocolMessage(decoding: message) else {
            connection.abort("undecodable frame")
            return
        }
        session.received.append(frame)
        if session.path != nil, let chaos, chaos(session, frame) { return }
        switch frame {
        case .hello(_, let handle):
            session.handle = handle
            if ignoresHello { return }
            if let challengeOverride {
                connection.send(binary: challengeOverride)
            } else {
                session.send(.challenge(nonce: (0..<32).map { _ in UInt8.random(in: 0...255) }))
            }
        case .register:
            break
        case .auth:
            if let handshakeRefusal {
                session.send(.error(handshakeRefusal))
                connection.close()
                return
            }
            let path = SessionPath(user: "alice", machine: "laptop", session: session.handle)
            session.path = path
            for frame in sendsBeforeEstablished { session.send(frame) }
            session.send(.established(path: path))
            if sendsServerInfo { session.send(.serverInfo(admin: admin)) }
            if dropsAfterEstablished { connection.close() }
        case .ping:
            if answersPings { session.send(.pong) }
        default:
            guard answersRequests else { return }
            answer(frame, in: session)
        }
    }

    private func answer(_ frame: ProtocolMessage, in session: LinkScriptedSession) {
        switch frame {
        case .join(let channel, _):
            if refusedChannels.contains(channel) {
                session.send(.error(.notFound("channel `\(channel)`")))
            } else {
                session.channels.insert(channel)
                session.send(.joined(channel: channel))
            }
        case .leave(let channel):
            session.channels.remove(channel)
            session.send(.ack(detail: channel))
        case .who(let channel):
            session.send(.presence(channel: channel, sessions: sessions.compactMap(\.path)))
        case .channelMsg(let channel, _, let payload):
            guard session.channels.contains(channel), let path = session.path else {
                session.send(.error(.unauthorized("not a member of channel `\(channel)`")))
                return
            }
            let ts = WallClock.nowMilliseconds()
            history[channel, default: []].append(HistoryMessage(from: path, tsMs: ts, payload: payload))
            for other in sessions where other !== session && other.channels.contains(channel) {
                other.send(.channelMsg(channel: channel, from: path, payload: payload))
            }
            if acknowledgesPosts { session.send(.ack(detail: nil)) }
        case .whisper(_, let target, let payload):
            guard let path = session.path, let recipient = sessions.first(where: { $0.path == target }) else {
                session.send(.error(.notFound("session `\(target.text)` is not online")))
                return
            }
            recipient.send(.whisper(from: path, target: target, payload: payload))
            session.send(.ack(detail: nil))
        case .readSince(let channel, let since):
            guard session.channels.contains(channel) else {
                session.send(.error(.unauthorized("not a member of channel `\(channel)`")))
                return
            }
            let rows = (history[channel] ?? []).filter { $0.tsMs > since }.prefix(500)
            session.send(.history(channel: channel, messages: Array(rows)))
        case .listChannels:
            session.send(.channelList(channels: []))
        case .admin(.createChannel(let name, _)):
            session.send(.ack(detail: name))
        default:
            session.send(.error(.malformedFrame("unexpected frame from client")))
        }
    }

    func connectionDidEnd(_ connection: WebSocketServerConnection, reason: WebSocketServerConnection.EndReason) {
        session(for: connection)?.isEnded = true
    }
}

/// One connection of a `LinkScriptedServer`.
final class LinkScriptedSession {
    let connection: WebSocketServerConnection
    var received: [ProtocolMessage] = []
    var handle = ""
    var path: SessionPath?
    var channels: Set<String> = []
    var isEnded = false

    init(connection: WebSocketServerConnection) {
        self.connection = connection
    }

    func send(_ frame: ProtocolMessage) {
        connection.send(binary: frame.encoded())
    }
}

/// A link under test on its own event loop, with every event it reported.
final class LinkProbe {
    let loop: EventLoop
    private(set) var events: [LinkEvent] = []
    private(set) var link: Link!

    init(loop: EventLoop, configuration: LinkConfiguration, tls: TLSClientContext? = nil) {
        // As every tool's main does: OpenSSL writes with write(2), so a peer gone mid-write raises SIGPIPE.
        BrokenPipe.ignore()
        self.loop = loop
        link = Link(configuration: configuration, loop: loop, tls: tls) { [unowned self] event in
            self.events.append(event)
        }
    }

    static func configuration(
        url: String, handle: SessionHandle = .explicit("main"), registration: LinkRegistration? = nil,
        retryLimit: Int? = nil, reconnects: Bool = true, adjust: (inout LinkTiming) -> Void = { _ in }
    ) throws -> LinkConfiguration {
        var timing = LinkTiming()
        timing.backoffBaseMs = 10
        timing.backoffCapMs = 40
        timing.dialTimeoutMs = 2_000
        timing.handshakeTimeoutMs = 2_000
        adjust(&timing)
        return LinkConfiguration(
            url: try WebSocketURL(parsing: url), urlText: url, handle: handle,
            signingKey: SecretSeed.generate().signingKey(), registration: registration, timing: timing,
            retryLimit: retryLimit, reconnects: reconnects)
    }

    /// Turns the loop until `condition` holds; false if `milliseconds` passed first.
    @discardableResult
    func run(for milliseconds: Int = 5_000, until condition: () -> Bool) throws -> Bool {
        let deadline = MonotonicInstant.after(milliseconds: milliseconds)
        while !condition() {
            if deadline.hasPassed { return false }
            try loop.runOnce(timeoutMilliseconds: 20)
        }
        return true
    }

    /// Turns the loop for `milliseconds`.
    func idle(for milliseconds: Int) throws {
        let deadline = MonotonicInstant.after(milliseconds: milliseconds)
        while !deadline.hasPassed { try loop.runOnce(timeoutMilliseconds: 10) }
    }

    var upCount: Int { events.count { if case .up = $0 { true } else { false } } }
    var downReasons: [String] { events.compactMap { if case .down(let reason) = $0 { reason } else { nil } } }
    var warnings: [String] { events.compactMap { if case .warning(let text) = $0 { text } else { nil } } }

    var end: LinkEnd? {
        for event in events { if case .ended(let end) = event { return end } }
        return nil
    }

    func reply(to tag: RequestTag) -> LinkReply? {
        for event in events { if case .reply(tag, let reply) = event { return reply } }
        return nil
    }

    var deliveries: [ProtocolMessage] {
        events.compactMap { if case .delivery(let frame) = $0 { frame } else { nil } }
    }
}
