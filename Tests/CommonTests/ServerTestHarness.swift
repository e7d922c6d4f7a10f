import Testing
@testable import ConclaveServer
@testable import ConclaveWire

/// A hand-driven clock: tests move `wallMs` and `monotonicMs` themselves.
final class TestClock {
    var wallMs: Int64 = 1_764_000_000_000
    var monotonicMs: Int64 = 5_000

    func advance(byMs delta: Int64) {
        wallMs += delta
        monotonicMs += delta
    }
}

/// One established session in a test.
struct TestClient {
    let id: ConnectionID
    let path: SessionPath
    let identity: TestIdentity
}

/// Drives a ``ServerCore`` with frames and collects what it does. Frames sent to a connection count as
/// written at once unless the connection is in `stalled`.
final class ServerHarness {
    let clock = TestClock()
    let store: ServerTestStore
    let core: ServerCore
    var stalled: Set<ConnectionID> = []
    var logs: [ServerLogEvent] = []
    private var nextConnection: UInt64 = 1

    init(admins: [String: String?] = [:], limits: ServerLimits = ServerLimits(), store: ServerTestStore = .init()) {
        self.store = store
        var allowlist = AdminAllowlist()
        for (name, key) in admins { allowlist.add(name, pinnedKey: key) }
        let clock = clock
        weak var weakSelf: ServerHarness?
        var counter: UInt8 = 0
        core = ServerCore(
            store: store, admins: allowlist, limits: limits,
            clock: ServerClock(wallMs: { clock.wallMs }, monotonicMs: { clock.monotonicMs }),
            random: { count in
                counter &+= 1
                return [UInt8](repeating: counter, count: count)
            },
            log: { weakSelf?.logs.append($0) })
        weakSelf = self
    }

    // MARK: Driving

    func open() -> ConnectionID {
        let id = ConnectionID(nextConnection)
        nextConnection += 1
        let actions = core.connectionOpened(id)
        #expect(actions.isEmpty)
        return id
    }

    /// One frame in a loop turn of its own: received, then the turn's group commit.
    @discardableResult
    func receive(_ frame: ProtocolMessage, on id: ConnectionID) -> [ServerAction] {
        flush(core.received(frame, on: id) + core.commit())
    }

    /// Several frames read in one loop turn, then its group commit; the actions of the whole turn in order.
    @discardableResult
    func turn(_ frames: [(ProtocolMessage, ConnectionID)]) -> [ServerAction] {
        flush(frames.flatMap { frame, id in core.received(frame, on: id) } + core.commit())
    }

    @discardableResult
    func tick() -> [ServerAction] { flush(core.tick() + core.commit()) }

    @discardableResult
    func flush(_ actions: [ServerAction]) -> [ServerAction] {
        for case let .send(id, frame) in actions where !stalled.contains(id) {
            core.wrote(frames: 1, bytes: frame.bytes.count, on: id)
        }
        return actions
    }

    /// Sends `frame` and returns the frames queued to the same connection.
    func request(_ frame: ProtocolMessage, on client: TestClient) -> [ProtocolMessage] {
        messages(in: receive(frame, on: client.id), to: client.id)
    }

    /// The one reply to `frame`, checking that nothing else went to the caller.
    func reply(_ frame: ProtocolMessage, on client: TestClient) -> ProtocolMessage? {
        let replies = request(frame, on: client)
        #expect(replies.count == 1, "expected exactly one reply to \(frame.typeName), got \(replies)")
        return replies.first
    }

    // MARK: Handshakes

    /// Runs `hello` and returns the challenge nonce.
    func hello(_ handle: String, on id: ConnectionID) -> [UInt8] {
        let out = messages(in: receive(.hello(protocolVersion: 1, session: handle), on: id), to: id)
        guard case let .challenge(nonce)? = out.first else {
            Issue.record("expected a challenge, got \(out)")
            return []
        }
        return nonce
    }

    /// Registers `user` with a new identity and returns the established session.
    @discardableResult
    func register(_ user: String, machine: String = "laptop", handle: String = "main",
                  identity: TestIdentity? = nil) -> TestClient {
        let identity = identity ?? TestIdentity(nextIdentityNumber())
        let id = open()
        let nonce = hello(handle, on: id)
        receive(.register(username: user, machine: machine, pubkey: identity.publicKey), on: id)
        let auth = ProtocolMessage.auth(pubkey: identity.publicKey, signature: identity.sign(nonce))
        let out = messages(in: receive(auth, on: id), to: id)
        let path = SessionPath(user: user, machine: machine, session: handle)
        #expect(out.first == .established(path: path), "registration of \(user) failed: \(out)")
        return TestClient(id: id, path: path, identity: identity)
    }

    /// Authenticates an enrolled identity under `handle`.
    func login(_ identity: TestIdentity, handle: String) -> (client: TestClient, actions: [ServerAction]) {
        let id = open()
        let nonce = hello(handle, on: id)
        let actions = receive(.auth(pubkey: identity.publicKey, signature: identity.sign(nonce)), on: id)
        var path = SessionPath(user: "?", machine: "?", session: handle)
        if case let .established(established)? = messages(in: actions, to: id).first { path = established }
        return (TestClient(id: id, path: path, identity: identity), actions)
    }

    private var identityNumber: UInt8 = 0
    private func nextIdentityNumber() -> UInt8 {
        identityNumber &+= 1
        return identityNumber
    }
}

/// The frames queued to `id`, in order.
func messages(in actions: [ServerAction], to id: ConnectionID) -> [ProtocolMessage] {
    actions.compactMap { action in
        if case let .send(target, frame) = action, target == id { frame.message } else { nil }
    }
}

/// The connections closed, in order.
func closed(in actions: [ServerAction]) -> [ConnectionID] {
    actions.compactMap { action in
        if case let .close(id) = action { id } else { nil }
    }
}

/// Every frame sent, as (recipient, frame).
func deliveries(in actions: [ServerAction]) -> [(ConnectionID, ProtocolMessage)] {
    actions.compactMap { action in
        if case let .send(target, frame) = action { (target, frame.message) } else { nil }
    }
}

/// Bytes from lowercase hex (test constants only).
func hexBytes(_ hex: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var iterator = hex.utf8.makeIterator()
    while let high = iterator.next(), let low = iterator.next() {
        bytes.append(UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) ?? 0)
    }
    return bytes
}
