import Glibc
import ConclaveTransport

/// A non-blocking TCP connection with an input and an output buffer, for the raw MQTT and NATS clients:
/// bytes queued with `append` go out on `flush`; `fill` reads what the kernel has and the protocol parser
/// consumes complete packets from `input[inputStart...]`.
final class ByteStream {
    private let socket: Socket
    private(set) var input: [UInt8] = []
    /// Where the unparsed input begins; the parser advances it with `consume`.
    private(set) var inputStart = 0
    private var output: [UInt8] = []
    private var outputStart = 0
    private var chunk = [UInt8](repeating: 0, count: 65_536)

    init(connectingTo endpoint: HostAndPort) throws {
        socket = try Socket.connect(to: endpoint, deadline: .after(milliseconds: 10_000))
    }

    var fileDescriptor: Int32 { socket.fileDescriptor }

    var pollInterest: IOInterest { outputStart < output.count ? [.readable, .writable] : .readable }

    func append(_ bytes: [UInt8]) {
        output.append(contentsOf: bytes)
    }

    /// Writes as much queued output as the kernel takes now.
    func flush() throws {
        while outputStart < output.count {
            let outcome = try output.withUnsafeBytes { buffer in
                try socket.send(UnsafeRawBufferPointer(rebasing: buffer[outputStart...]))
            }
            guard case .transferred(let count) = outcome else { break }
            outputStart += count
        }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: true)
            outputStart = 0
        }
    }

    /// Reads what is available now (at most a few chunks, so one busy link does not starve the others).
    /// Throws when the broker closed the connection.
    func fill() throws {
        if inputStart > 0 {
            input.removeSubrange(0..<inputStart)
            inputStart = 0
        }
        for _ in 0..<4 {
            let outcome = try chunk.withUnsafeMutableBytes { try socket.receive(into: $0) }
            switch outcome {
            case .transferred(let count):
                input.append(contentsOf: chunk[0..<count])
                if count < chunk.count { return }
            case .wouldBlock:
                return
            case .endOfStream:
                throw BenchError("the broker closed the connection \(socket.label)")
            }
        }
    }

    /// Marks `count` input bytes as parsed.
    func consume(_ count: Int) {
        inputStart += count
    }

    func close() {
        socket.close()
    }
}
