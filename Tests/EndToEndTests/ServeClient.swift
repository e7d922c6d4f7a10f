import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// A machine identity for tests: an Ed25519 key pair derived from a fixed seed (PROTOCOL.md §5.1).
struct TestIdentity {
    private let key: SigningKey

    /// The key of seed `[byte, byte + 1, …, byte + 31]`; `TestIdentity(seedStart: 0)` is the spec's test identity.
    init(seedStart byte: UInt8) {
        key = SigningKey(seed: SecretSeed(testBytes: (0..<32).map { byte &+ UInt8($0) }))
    }

    var publicKey: [UInt8] { key.publicKey.bytes }

    /// The public key as the server stores and `--admin USER=PUBKEY` takes it.
    var publicKeyText: String { Base64URL.encode(publicKey) }

    /// The detached signature over exactly `message`.
    func sign(_ message: [UInt8]) -> [UInt8] {
        key.signature(for: message)
    }
}

/// A frame-level client over a real WebSocket: send a frame, wait (bounded) for the next one.
final class ServeClient {
    let connection: WebSocketClient
    /// The session path once established.
    private(set) var path: SessionPath?
    /// `server_info.admin` once established.
    private(set) var isAdmin = false

    init(url: String) throws {
        connection = try WebSocketClient.connect(
            to: try WebSocketURL(parsing: url), deadline: .after(milliseconds: 5_000))
    }

    deinit {
        connection.closeAndWait(deadline: .after(milliseconds: 500))
    }

    /// Connects and runs the handshake: `hello`, `challenge`, then `register` (when `register` names a user and
    /// machine) and `auth`; expects `established` then `server_info`.
    static func session(
        _ url: String, _ identity: TestIdentity, handle: String = "main", register: (String, String)? = nil
    ) throws -> ServeClient {
        let client = try ServeClient(url: url)
        try client.handshake(identity, handle: handle, register: register)
        return client
    }

    /// The handshake alone (see `session`); fails the test and throws on anything unexpected.
    func handshake(_ identity: TestIdentity, handle: String, register: (String, String)? = nil) throws {
        try send(.hello(protocolVersion: 1, session: handle))
        guard case let .challenge(nonce) = try next() else {
            throw ToolProcessError(description: "expected challenge")
        }
        if let (user, machine) = register {
            try send(.register(username: user, machine: machine, pubkey: identity.publicKey))
        }
        try send(.auth(pubkey: identity.publicKey, signature: identity.sign(nonce)))
        let established = try next()
        guard case let .established(path) = established else {
            throw ToolProcessError(description: "expected established, got \(established)")
        }
        let info = try next()
        guard case let .serverInfo(admin) = info else {
            throw ToolProcessError(description: "expected server_info, got \(info)")
        }
        self.path = path
        isAdmin = admin
    }

    func send(_ message: ProtocolMessage) throws {
        try connection.send(binary: message.encoded())
    }

    /// Sends raw bytes as one binary message.
    func send(bytes: [UInt8]) throws {
        try connection.send(binary: bytes)
    }

    /// The next frame, within `milliseconds`; text messages are skipped. Throws on timeout, on a close, and on
    /// a message that does not decode.
    func next(within milliseconds: Int = 5_000) throws -> ProtocolMessage {
        let deadline = MonotonicInstant.after(milliseconds: milliseconds)
        while true {
            guard let event = try connection.nextEvent(deadline: deadline) else {
                throw ToolProcessError(description: "the server closed the connection")
            }
            switch event {
            case .binary(let bytes):
                return try ProtocolMessage(decoding: bytes)
            case .closed:
                throw ToolProcessError(description: "the server closed the connection")
            case .failed(let error):
                throw ToolProcessError(description: "WebSocket failure: \(error)")
            case .text, .pong:
                continue
            }
        }
    }

    /// Sends `request` and returns the next frame, within `milliseconds`.
    func request(_ request: ProtocolMessage, within milliseconds: Int = 5_000) throws -> ProtocolMessage {
        try send(request)
        return try next(within: milliseconds)
    }

    /// Waits for the server to end the connection, discarding frames meanwhile; the frames seen, or nil when the
    /// connection was still open after `milliseconds`.
    func framesUntilClosed(within milliseconds: Int = 5_000) -> [ProtocolMessage]? {
        let deadline = MonotonicInstant.after(milliseconds: milliseconds)
        var frames: [ProtocolMessage] = []
        do {
            while let event = try connection.nextEvent(deadline: deadline) {
                switch event {
                case .binary(let bytes):
                    if let frame = try? ProtocolMessage(decoding: bytes) { frames.append(frame) }
                case .closed, .failed:
                    return frames
                case .text, .pong:
                    continue
                }
            }
            return frames
        } catch {
            return error.code == .timeout ? nil : frames
        }
    }

    /// True when no frame arrives within `milliseconds` (for "no echo").
    func isQuiet(for milliseconds: Int) -> Bool {
        do {
            _ = try next(within: milliseconds)
            return false
        } catch let error as TransportError where error.code == .timeout {
            return true
        } catch {
            return false
        }
    }
}
