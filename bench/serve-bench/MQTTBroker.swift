import ConclaveTransport

/// A minimal MQTT 3.1.1 client (CONNECT, SUBSCRIBE, PUBLISH QoS 0 and 1, PUBACK) over a `ByteStream`.
final class MQTTLink: BrokerLink {
    private let stream: ByteStream
    private let publishQoS: UInt8
    /// PUBLISH fixed header, remaining length and topic; the packet identifier (QoS 1) and payload follow.
    private var publicationHead: [UInt8] = []
    private var payload: [UInt8] = []
    private var packetIdentifier: UInt16 = 0

    fileprivate init(stream: ByteStream, publishQoS: UInt8) {
        self.stream = stream
        self.publishQoS = publishQoS
    }

    var fileDescriptor: Int32 { stream.fileDescriptor }
    var pollInterest: IOInterest { stream.pollInterest }
    var hasBufferedInput: Bool { false }

    func flush() throws { try stream.flush() }

    func publish() throws {
        stream.append(publicationHead)
        if publishQoS > 0 { stream.append(nextPacketIdentifier()) }
        stream.append(payload)
    }

    fileprivate func preparePublication(topic: String, payloadBytes: Int) {
        payload = [UInt8](repeating: UInt8(ascii: "m"), count: payloadBytes)
        let topicField = MQTTLink.string(topic)
        let remaining = topicField.count + (publishQoS > 0 ? 2 : 0) + payloadBytes
        publicationHead = [0x30 | publishQoS << 1] + MQTTLink.remainingLength(remaining) + topicField
    }

    fileprivate func send(type: UInt8, _ body: [UInt8]) {
        stream.append([type] + MQTTLink.remainingLength(body.count) + body)
    }

    fileprivate func nextPacketIdentifier() -> [UInt8] {
        packetIdentifier = packetIdentifier == UInt16.max ? 1 : packetIdentifier + 1
        return [UInt8(packetIdentifier >> 8), UInt8(packetIdentifier & 0xFF)]
    }

    func receiveAvailable() throws -> Arrivals {
        try stream.fill()
        var arrivals = Arrivals()
        let input = stream.input
        var offset = stream.inputStart
        while let (type, bodyStart, bodyEnd) = try MQTTLink.packet(in: input, at: offset) {
            switch type >> 4 {
            case 2:  // CONNACK
                guard bodyEnd - bodyStart == 2, input[bodyStart + 1] == 0 else {
                    throw BenchError("mosquitto refused CONNECT")
                }
                arrivals.replies += 1
            case 3:  // PUBLISH
                arrivals.deliveries += 1
                if (type >> 1) & 3 == 1 {
                    guard bodyEnd - bodyStart >= 2 else { throw BenchError("malformed PUBLISH from mosquitto") }
                    let topicLength = Int(input[bodyStart]) << 8 | Int(input[bodyStart + 1])
                    let identifier = bodyStart + 2 + topicLength
                    guard identifier + 2 <= bodyEnd else { throw BenchError("malformed PUBLISH from mosquitto") }
                    send(type: 0x40, Array(input[identifier..<identifier + 2]))
                }
            case 4:  // PUBACK
                arrivals.acks += 1
            case 9:  // SUBACK
                guard bodyEnd - bodyStart >= 3, input[bodyEnd - 1] != 0x80 else {
                    throw BenchError("mosquitto refused SUBSCRIBE")
                }
                arrivals.replies += 1
            default:
                break
            }
            offset = bodyEnd
        }
        stream.consume(offset - stream.inputStart)
        return arrivals
    }

    func close() { stream.close() }

    /// The packet at `offset`: its first byte and body range, or nil while incomplete.
    private static func packet(in input: [UInt8], at offset: Int) throws -> (UInt8, Int, Int)? {
        var length = 0
        var index = offset + 1
        for shift in stride(from: 0, through: 21, by: 7) {
            guard index < input.count else { return nil }
            let byte = input[index]
            index += 1
            length |= Int(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                guard index + length <= input.count else { return nil }
                return (input[offset], index, index + length)
            }
        }
        throw BenchError("malformed remaining length from mosquitto")
    }

    fileprivate static func remainingLength(_ value: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        var rest = value
        repeat {
            let digit = UInt8(rest & 0x7F)
            rest >>= 7
            bytes.append(rest > 0 ? digit | 0x80 : digit)
        } while rest > 0
        return bytes
    }

    fileprivate static func string(_ text: String) -> [UInt8] {
        let utf8 = Array(text.utf8)
        return [UInt8(utf8.count >> 8), UInt8(utf8.count & 0xFF)] + utf8
    }
}

/// mosquitto: clean sessions `bench-N` with keep-alive off, subscriptions at QoS 0 (so deliveries are
/// unacknowledged, like conclave's), publishes at `publishQoS`.
struct MQTTBroker: Broker {
    let endpoint: HostAndPort
    let publishQoS: UInt8
    var name: String { "mosquitto QoS \(publishQoS)" }
    var acknowledgesPublishes: Bool { publishQoS > 0 }

    func connect(index: Int) throws -> MQTTLink {
        let link = MQTTLink(stream: try ByteStream(connectingTo: endpoint), publishQoS: publishQoS)
        // Protocol name, level 4, flags: clean session; keep-alive 0; client identifier.
        let header: [UInt8] = MQTTLink.string("MQTT") + [4, 0x02, 0, 0]
        link.send(type: 0x10, header + MQTTLink.string("bench-\(index)"))
        try awaitReplies(1, on: link, step: "MQTT CONNECT")
        try subscribe(link, to: "idle/\(index)")
        return link
    }

    func preparePublisher(_ link: MQTTLink, payloadBytes: Int) throws {
        link.preparePublication(topic: "bench/fanout", payloadBytes: payloadBytes)
    }

    func subscribe(_ links: [MQTTLink]) throws {
        for link in links { try subscribe(link, to: "bench/fanout") }
    }

    private func subscribe(_ link: MQTTLink, to topic: String) throws {
        link.send(type: 0x82, link.nextPacketIdentifier() + MQTTLink.string(topic) + [0])
        try awaitReplies(1, on: link, step: "MQTT SUBSCRIBE \(topic)")
    }
}
