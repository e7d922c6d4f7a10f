import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport

/// A self-signed certificate (its own CA) for 127.0.0.1 and localhost, made with the openssl CLI in a fresh
/// temporary directory.
struct TestCertificate {
    /// Removed, with both files, when the last copy of this value is released.
    let directory: TemporaryDirectory
    var certificateFile: String { directory.appending("cert.pem") }
    var keyFile: String { directory.appending("key.pem") }

    init(subjectAltName: String = "IP:127.0.0.1,DNS:localhost") throws {
        directory = try TemporaryDirectory()
        let command = "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
            + " -subj '/CN=conclave test CA' -addext 'subjectAltName=\(subjectAltName)'"
            + " -keyout '\(keyFile)' -out '\(certificateFile)' >/dev/null 2>&1"
        try #require(system(command) == 0, "openssl req failed")
    }
}

/// Drives both ends of a TLS handshake from one thread until both are done or one fails (bounded).
func completeHandshakes(_ client: TransportStream, _ server: TransportStream) throws(TransportError) {
    let deadline = MonotonicInstant.after(milliseconds: 5_000)
    var clientWants: IOInterest? = try client.advanceHandshake()
    var serverWants: IOInterest? = try server.advanceHandshake()
    while clientWants != nil || serverWants != nil {
        guard !deadline.hasPassed else { throw TransportError(.timeout, "test handshake timed out") }
        var entries: [Poller.Entry] = []
        if let clientWants { entries.append(.init(fileDescriptor: client.fileDescriptor, interest: clientWants)) }
        if let serverWants { entries.append(.init(fileDescriptor: server.fileDescriptor, interest: serverWants)) }
        try Poller.wait(&entries, timeoutMilliseconds: 100)
        if clientWants != nil { clientWants = try client.advanceHandshake() }
        if serverWants != nil { serverWants = try server.advanceHandshake() }
    }
}

/// Reads from `stream` until `count` bytes arrived, waiting with poll (bounded).
func readExactly(_ count: Int, from stream: TransportStream) throws -> [UInt8] {
    let deadline = MonotonicInstant.after(milliseconds: 5_000)
    var received: [UInt8] = []
    while received.count < count {
        if !stream.hasBufferedInput {
            try #require(try Poller.waitFor(stream.fileDescriptor, .readable, deadline: deadline), "read timed out")
        }
        if case .endOfStream = try stream.read(appendingTo: &received) { break }
    }
    return received
}

/// Writes all of `bytes`, waiting with poll (bounded).
func writeAll(_ bytes: [UInt8], to stream: TransportStream) throws {
    var queue = OutboundQueue()
    queue.append(bytes)
    let deadline = MonotonicInstant.after(milliseconds: 5_000)
    while let interest = try queue.flush(to: stream) {
        try #require(try Poller.waitFor(stream.fileDescriptor, interest, deadline: deadline), "write timed out")
    }
}
