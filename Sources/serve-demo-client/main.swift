// A frame-level walk through a conclave server for `make demo` (test support; not installed): two users
// register, one creates a channel, both join, one posts, the other receives the post and reads the history.
// Every frame is printed in its JSON form (PROTOCOL.md §4) with who sent it.
//
// usage: serve-demo-client URL [ALICE_KEY_FILE]
// Alice's key comes from ALICE_KEY_FILE (a conclave-keygen key file) when given; other keys are random.
import CSodium
import Common
import Glibc

/// An Ed25519 key pair, wiped when released.
final class DemoIdentity {
    let publicKey: [UInt8]
    private var secretKey: [UInt8]

    init(seed: inout [UInt8]) {
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        sodium_memzero(&seed, seed.count)
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    deinit {
        sodium_memzero(&secretKey, secretKey.count)
    }

    func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }

    static func random() -> DemoIdentity {
        var seed = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&seed, seed.count)
        return DemoIdentity(seed: &seed)
    }

    /// The 43-character base64url seed of a conclave key file (PROTOCOL.md §8.2).
    static func load(keyFile path: String) throws(DemoError) -> DemoIdentity {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DemoError("cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var text = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &text, text.count)
        defer { sodium_memzero(&text, text.count) }
        guard count == 43, var seed = try? Base64URL.decode(String(decoding: text.prefix(43), as: UTF8.self)),
              seed.count == 32
        else { throw DemoError("\(path) is not a conclave key file") }
        return DemoIdentity(seed: &seed)
    }
}

struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// One user's connection, printing every frame both ways.
final class DemoPeer {
    let name: String
    let client: WebSocketClient

    init(_ name: String, url: WebSocketURL) throws(TransportError) {
        self.name = name
        client = try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 5_000))
        print("\(name): connected to \(url) (x-conclave-server-id: \(client.serverID ?? "none"))")
    }

    func send(_ frame: ProtocolMessage) throws(TransportError) {
        print("\(name) → \(frame.jsonLine())")
        try client.send(binary: frame.encoded())
    }

    func receive() throws -> ProtocolMessage {
        while true {
            guard let event = try client.nextEvent(deadline: .after(milliseconds: 5_000)) else {
                throw DemoError("\(name): the server closed the connection")
            }
            guard case .binary(let bytes) = event else { continue }
            let frame = try ProtocolMessage(decoding: bytes)
            print("\(name) ← \(frame.jsonLine())")
            return frame
        }
    }

    /// Sends `frame` and checks the reply.
    func request(_ frame: ProtocolMessage, expecting expected: ProtocolMessage) throws {
        try send(frame)
        let reply = try receive()
        guard reply == expected else { throw DemoError("\(name): expected \(expected.typeName), got \(reply)") }
    }

    /// hello, challenge, register + auth, established, server_info.
    func register(user: String, machine: String, identity: DemoIdentity) throws -> SessionPath {
        try send(.hello(protocolVersion: ProtocolMessage.protocolVersion, session: "demo"))
        guard case let .challenge(nonce) = try receive() else { throw DemoError("\(name): no challenge") }
        try send(.register(username: user, machine: machine, pubkey: identity.publicKey))
        try send(.auth(pubkey: identity.publicKey, signature: identity.sign(nonce)))
        guard case let .established(path) = try receive() else { throw DemoError("\(name): not established") }
        guard case .serverInfo = try receive() else { throw DemoError("\(name): no server_info") }
        return path
    }

    func close() {
        client.closeAndWait(deadline: .after(milliseconds: 1_000))
    }
}

func runDemo(url text: String, aliceKeyFile: String?) throws {
    let url = try WebSocketURL(parsing: text)
    let aliceIdentity = try aliceKeyFile.map { path throws(DemoError) in try DemoIdentity.load(keyFile: path) }
        ?? DemoIdentity.random()
    let alice = try DemoPeer("alice", url: url)
    let bob = try DemoPeer("bob", url: url)
    print("\n# registration: each machine proves its key by signing the server's nonce")
    let alicePath = try alice.register(user: "alice", machine: "laptop", identity: aliceIdentity)
    _ = try bob.register(user: "bob", machine: "desk", identity: DemoIdentity.random())

    print("\n# alice creates the public channel ops; both join it")
    try alice.request(.admin(.createChannel(name: "ops", visibility: .public)), expecting: .ack(detail: "ops"))
    try alice.request(.join(channel: "ops", token: nil), expecting: .joined(channel: "ops"))
    try bob.request(.join(channel: "ops", token: nil), expecting: .joined(channel: "ops"))

    print("\n# alice posts; the server acknowledges and delivers it to bob (not back to alice)")
    let post = Payload.plain("deploy finished")
    try alice.request(.channelMsg(channel: "ops", from: alicePath, payload: post), expecting: .ack(detail: nil))
    let delivery = try bob.receive()
    guard delivery == .channelMsg(channel: "ops", from: alicePath, payload: post) else {
        throw DemoError("bob: expected the post, got \(delivery)")
    }

    print("\n# bob reads the channel's history")
    try bob.send(.readSince(channel: "ops", sinceMs: 0))
    guard case let .history(_, rows) = try bob.receive(), rows.map(\.payload) == [post] else {
        throw DemoError("bob: the history does not hold the post")
    }
    alice.close()
    bob.close()
    print("\ndemo: registration, channel creation, a post and its receipt all worked")
}

/// One line on stderr, like every tool's diagnostics.
func complain(_ message: String) {
    Diagnostics(toolName: "serve-demo-client").report(message)
}

let arguments = CommandLine.arguments
guard arguments.count == 2 || arguments.count == 3 else {
    complain("usage: serve-demo-client URL [ALICE_KEY_FILE]")
    exit(64)
}
_ = sodium_init()
ToolMain.prepareProcess()
do {
    try runDemo(url: arguments[1], aliceKeyFile: arguments.count == 3 ? arguments[2] : nil)
} catch {
    complain("\(error)")
    exit(1)
}
