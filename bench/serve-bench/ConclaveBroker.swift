import ConclaveTransport
import ConclaveWire

/// One key pair for every session: sessions differ by handle, so none supersedes another.
final class BenchIdentity {
    private let key = SigningKey(seed: .generate())

    var publicKey: [UInt8] { key.publicKey.bytes }

    func sign(_ message: [UInt8]) -> [UInt8] { key.signature(for: message) }
}

/// An authenticated conclave session. In the poll loop frames are classified by their first byte, not decoded.
final class ConclaveLink: BrokerLink {
    private static let channelMessageVariant: UInt8 = 9
    private static let errorVariant: UInt8 = 12
    private static let ackVariant: UInt8 = 16
    let client: WebSocketClient
    fileprivate var post: [UInt8] = []

    init(client: WebSocketClient) { self.client = client }

    var fileDescriptor: Int32 { client.fileDescriptor }
    var pollInterest: IOInterest { client.pollInterest }
    var hasBufferedInput: Bool { client.hasBufferedInput }

    func flush() throws { _ = try client.flush() }

    func publish() throws { try client.send(binary: post) }

    func receiveAvailable() throws -> Arrivals {
        var arrivals = Arrivals()
        while let event = try client.nextEvent() {
            guard case .binary(let bytes) = event else { continue }
            // The first byte is the variant index (PROTOCOL.md §3.5); other frames (presence) are not counted.
            switch bytes.first {
            case ConclaveLink.channelMessageVariant: arrivals.deliveries += 1
            case ConclaveLink.ackVariant: arrivals.acks += 1
            case ConclaveLink.errorVariant: throw BenchError("conclave-serve: \(try ProtocolMessage(decoding: bytes))")
            default: break
            }
        }
        return arrivals
    }

    func close() { client.closeAndWait(deadline: .after(milliseconds: 100)) }

    /// The next frame, decoded, waiting at most 10 s: for the set-up steps only.
    fileprivate func receive() throws -> ProtocolMessage {
        while true {
            guard let event = try client.nextEvent(deadline: .after(milliseconds: 10_000)) else {
                throw BenchError("conclave-serve closed a connection")
            }
            if case .binary(let bytes) = event { return try ProtocolMessage(decoding: bytes) }
        }
    }

    fileprivate func send(_ frame: ProtocolMessage) throws {
        try client.send(binary: frame.encoded())
    }
}

/// conclave-serve: sessions `s0…sN` of user `bench` (registered by the first), channel `bench`. A deployment of
/// several instances on one store is given one URL per instance: session `sI` connects to `urls[I % urls.count]`,
/// so `s0`, the publisher, to the first and the subscribers spread evenly over all of them.
struct ConclaveBroker: Broker {
    let urls: [WebSocketURL]
    /// The row label, which says where the server keeps its store (and how many instances share it).
    let name: String
    let identity = BenchIdentity()
    var acknowledgesPublishes: Bool { true }

    func connect(index: Int) throws -> ConclaveLink {
        let url = urls[index % urls.count]
        let link = ConclaveLink(client: try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 10_000)))
        try link.send(.hello(protocolVersion: 1, session: "s\(index)"))
        guard case let .challenge(nonce) = try link.receive() else { throw BenchError("no challenge for s\(index)") }
        if index == 0 {
            try link.send(.register(username: "bench", machine: "m", pubkey: identity.publicKey))
        }
        try link.send(.auth(pubkey: identity.publicKey, signature: identity.sign(nonce)))
        guard case .established = try link.receive(), case .serverInfo = try link.receive() else {
            throw BenchError("handshake refused for s\(index)")
        }
        return link
    }

    /// The publisher must be session `s0`, which creates the channel and joins it.
    func preparePublisher(_ link: ConclaveLink, payloadBytes: Int) throws {
        try link.send(.admin(.createChannel(name: "bench", visibility: .public)))
        _ = try link.receive()
        try subscribe([link])
        link.post = ProtocolMessage.channelMsg(
            channel: "bench", from: SessionPath(user: "bench", machine: "m", session: "s0"),
            payload: .plain(String(repeating: "m", count: payloadBytes))
        ).encoded()
    }

    func subscribe(_ links: [ConclaveLink]) throws {
        for link in links {
            try link.send(.join(channel: "bench", token: nil))
            guard case .joined = try link.receive() else { throw BenchError("join refused") }
        }
    }
}
