import ConclaveTransport

/// A minimal NATS client (CONNECT, SUB, PUB, PING/PONG; counts MSG) over a `ByteStream`.
final class NATSLink: BrokerLink {
    private let stream: ByteStream
    private var publication: [UInt8] = []

    fileprivate init(stream: ByteStream) { self.stream = stream }

    var fileDescriptor: Int32 { stream.fileDescriptor }
    var pollInterest: IOInterest { stream.pollInterest }
    var hasBufferedInput: Bool { false }

    func flush() throws { try stream.flush() }

    func publish() throws { stream.append(publication) }

    fileprivate func preparePublication(subject: String, payloadBytes: Int) {
        publication = Array("PUB \(subject) \(payloadBytes)\r\n".utf8)
            + [UInt8](repeating: UInt8(ascii: "m"), count: payloadBytes) + Array("\r\n".utf8)
    }

    /// Sends `commands` followed by PING, and waits for the PONG: the server has then processed them.
    fileprivate func sendConfirmed(_ commands: String, step: String) throws {
        stream.append(Array((commands + "PING\r\n").utf8))
        try awaitReplies(1, on: self, step: step)
    }

    func receiveAvailable() throws -> Arrivals {
        try stream.fill()
        var arrivals = Arrivals()
        let input = stream.input
        var offset = stream.inputStart
        parsing: while let lineEnd = NATSLink.lineEnd(in: input, from: offset) {
            var next = lineEnd + 2
            switch input[offset] {
            case UInt8(ascii: "M"):  // MSG <subject> <sid> [reply-to] <#bytes>
                guard let size = NATSLink.trailingNumber(in: input, from: offset, to: lineEnd) else {
                    throw BenchError("malformed MSG line from nats-server")
                }
                guard next + size + 2 <= input.count else { break parsing }
                next += size + 2
                arrivals.deliveries += 1
            case UInt8(ascii: "P"):
                if lineEnd - offset >= 4 && input[offset + 1] == UInt8(ascii: "I") {
                    stream.append(Array("PONG\r\n".utf8))
                } else {
                    arrivals.replies += 1
                }
            case UInt8(ascii: "-"):
                throw BenchError("nats-server: \(String(decoding: input[offset..<lineEnd], as: UTF8.self))")
            default:  // INFO, +OK
                break
            }
            offset = next
        }
        stream.consume(offset - stream.inputStart)
        return arrivals
    }

    func close() { stream.close() }

    /// The index of the next CR LF at or after `start`, or nil while the line is incomplete.
    private static func lineEnd(in input: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < input.count {
            if input[index] == 13 && input[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }

    /// The decimal number that ends the line `input[start..<end]`.
    private static func trailingNumber(in input: [UInt8], from start: Int, to end: Int) -> Int? {
        var value = 0
        var scale = 1
        var index = end - 1
        while index > start, input[index] != UInt8(ascii: " ") {
            let digit = Int(input[index]) - 48
            guard (0...9).contains(digit), scale <= 100_000_000 else { return nil }
            value += digit * scale
            scale *= 10
            index -= 1
        }
        return scale > 1 ? value : nil
    }
}

/// nats-server (core NATS, no JetStream): subject `bench.fanout`, idle subscriptions `idle.N`.
struct NATSBroker: Broker {
    let endpoint: HostAndPort
    var name: String { "nats-server" }
    var acknowledgesPublishes: Bool { false }

    func connect(index: Int) throws -> NATSLink {
        let link = NATSLink(stream: try ByteStream(connectingTo: endpoint))
        try link.sendConfirmed(
            "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"bench-\(index)\"}\r\nSUB idle.\(index) 1\r\n",
            step: "NATS CONNECT")
        return link
    }

    func preparePublisher(_ link: NATSLink, payloadBytes: Int) throws {
        link.preparePublication(subject: "bench.fanout", payloadBytes: payloadBytes)
    }

    func subscribe(_ links: [NATSLink]) throws {
        for link in links { try link.sendConfirmed("SUB bench.fanout 2\r\n", step: "NATS SUB") }
    }
}
