import Glibc
import Testing
@testable import ConclavePOSIX
@testable import ConclaveTransport

@Suite struct HostAndPortTests {
    @Test(arguments: [
        ("127.0.0.1:4390", "127.0.0.1", UInt16(4390)), ("[::1]:0", "::1", 0), ("example.org:443", "example.org", 443),
    ])
    func parses(_ text: String, _ host: String, _ port: UInt16) throws {
        let parsed = try HostAndPort(parsing: text)
        #expect(parsed.host == host && parsed.port == port)
        #expect(parsed.description == text)
    }

    @Test(arguments: ["", "4390", ":4390", "host:", "host:65536", "host:-1", "host:+1", "::1:80", "[::1]80", "[::1"])
    func refuses(_ text: String) {
        #expect(throws: TransportError.self) { try HostAndPort(parsing: text) }
    }
}

@Suite struct MonotonicInstantTests {
    @Test func advancesAndSaturates() {
        let base = MonotonicInstant(nanoseconds: 5_000_000)
        #expect(base.advanced(byMilliseconds: 2).nanoseconds == 7_000_000)
        #expect(base.advanced(byMilliseconds: -10).nanoseconds == 0)
        #expect(base.advanced(byMilliseconds: .max).nanoseconds == .max)
        #expect(MonotonicInstant.after(milliseconds: -1).hasPassed)
        #expect(MonotonicInstant.after(milliseconds: -1).millisecondsFromNow == 0)
    }
}

@Suite struct SocketTests {
    @Test func listeningOnPortZeroReportsTheChosenPort() throws {
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        #expect(listener.address.port != 0)
        let ipv6 = try ListeningSocket(binding: HostAndPort(parsing: "[::1]:0"))
        #expect(ipv6.address.port != 0)
        #expect(ipv6.address.description.hasPrefix("[::1]:"))
    }

    @Test func connectionRefusedNamesThePeer() throws {
        let port = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0")).address.port
        let endpoint = HostAndPort(host: "127.0.0.1", port: port)
        let error = #expect(throws: TransportError.self) {
            try Socket.connect(to: endpoint, deadline: .after(milliseconds: 2_000))
        }
        #expect(error?.code == .connect)
        #expect(error?.message == "cannot connect to 127.0.0.1:\(port): Connection refused")
    }

    @Test func unresolvableHostIsAResolveError() {
        let error = #expect(throws: TransportError.self) {
            let endpoint = HostAndPort(host: "no-such-host.invalid", port: 1)
            return try Socket.connect(to: endpoint, deadline: .after(milliseconds: 2_000))
        }
        #expect(error?.code == .resolve)
    }

    /// A listener that never accepts, with a backlog of 0, stops answering SYNs once its queue is full, so a
    /// later connect hangs until its deadline.
    @Test func connectGivesUpAtTheDeadline() throws {
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"), backlog: 0)
        var held: [Socket] = []
        var timedOut: TransportError?
        for _ in 0..<8 {
            do {
                held.append(try Socket.connect(to: listener.address, deadline: .after(milliseconds: 300)))
            } catch {
                timedOut = error
                break
            }
        }
        #expect(timedOut?.code == .timeout)
        #expect(timedOut?.message == "timed out connecting to \(listener.address)")
    }
}

/// Accepts connections and echoes every byte back through per-connection write queues.
private final class EchoServer: EventLoopHandler {
    let listener: ListeningSocket
    private var connections: [Int32: EchoConnection] = [:]

    init(loop: EventLoop) throws {
        listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        try loop.register(listener.fileDescriptor, interest: .readable, handler: self)
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        while let socket = try? listener.accept() {
            let connection = EchoConnection(stream: TransportStream(plain: socket))
            try? loop.register(socket.fileDescriptor, interest: .readable, handler: connection)
        }
    }
}

private final class EchoConnection: EventLoopHandler {
    let stream: TransportStream
    var queue = OutboundQueue()
    var input: [UInt8] = []

    init(stream: TransportStream) { self.stream = stream }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        do {
            if events.isReadable {
                input.removeAll(keepingCapacity: true)
                if case .endOfStream = try stream.read(appendingTo: &input) {
                    loop.unregister(stream.fileDescriptor)
                    return
                }
                queue.append(input)
            }
            let wants = try queue.flush(to: stream)
            loop.setInterest(wants == nil ? .readable : [.readable, .writable], for: stream.fileDescriptor)
        } catch {
            loop.unregister(stream.fileDescriptor)
        }
    }
}

/// A client driven by the same loop: writes a payload, collects the echo.
private final class EchoClient: EventLoopHandler {
    let stream: TransportStream
    var queue = OutboundQueue()
    var received: [UInt8] = []

    init(stream: TransportStream, payload: [UInt8]) {
        self.stream = stream
        queue.append(payload)
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        if events.isReadable { _ = try? stream.read(appendingTo: &received) }
        let wants = (try? queue.flush(to: stream)) ?? nil
        loop.setInterest(wants == nil ? .readable : [.readable, .writable], for: stream.fileDescriptor)
    }
}

@Suite struct EventLoopTests {
    @Test func echoesManyClientsOverLoopback() throws {
        BrokenPipe.ignore()
        let loop = try EventLoop()
        let server = try EchoServer(loop: loop)
        let payloads = (0..<20).map { index in
            (0..<(1 + index * 7_919)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ index) }
        }
        let clients = try payloads.map { payload in
            let socket = try Socket.connect(to: server.listener.address, deadline: .after(milliseconds: 2_000))
            let client = EchoClient(stream: TransportStream(plain: socket), payload: payload)
            try loop.register(socket.fileDescriptor, interest: [.readable, .writable], handler: client)
            return client
        }
        let deadline = MonotonicInstant.after(milliseconds: 10_000)
        while !deadline.hasPassed && zip(clients, payloads).contains(where: { $0.received.count < $1.count }) {
            try loop.runOnce(timeoutMilliseconds: 100)
        }
        for (client, payload) in zip(clients, payloads) {
            #expect(client.received == payload)
        }
    }

    @Test func timersFireInOrderAndCancelledOnesDoNot() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        loop.schedule(afterMilliseconds: 30) { fired.append(3) }
        loop.schedule(afterMilliseconds: 10) { fired.append(1) }
        let cancelled = loop.schedule(afterMilliseconds: 20) { fired.append(99) }
        loop.schedule(afterMilliseconds: 20) { fired.append(2) }
        loop.runSoon { fired.append(0) }
        loop.cancel(cancelled)
        loop.schedule(afterMilliseconds: 40) { loop.stop() }
        try loop.run()
        #expect(fired == [0, 1, 2, 3])
    }
}

@Suite struct TLSTests {
    /// A connected client/server pair of TLS streams over loopback, handshake not yet run.
    private func makePair(
        certificate: TestCertificate, trust: String?, serverName: String = "127.0.0.1"
    ) throws -> (client: TransportStream, server: TransportStream, listener: ListeningSocket) {
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let clientSocket = try Socket.connect(to: listener.address, deadline: .after(milliseconds: 2_000))
        var accepted: Socket?
        let deadline = MonotonicInstant.after(milliseconds: 2_000)
        while accepted == nil && !deadline.hasPassed {
            _ = try Poller.waitFor(listener.fileDescriptor, .readable, deadline: deadline)
            accepted = try listener.accept()
        }
        let serverSocket = try #require(accepted)
        let serverContext = try TLSServerContext(
            certificateFile: certificate.certificateFile, keyFile: certificate.keyFile)
        let clientContext = try TLSClientContext(extraCAFile: trust)
        let client = try TransportStream(tlsClient: clientSocket, context: clientContext, serverName: serverName)
        let server = try TransportStream(tlsServer: serverSocket, context: serverContext)
        return (client, server, listener)
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func trustedCertificateCarriesData(serverName: String) throws {
        BrokenPipe.ignore()
        let certificate = try TestCertificate()
        let pair = try makePair(certificate: certificate, trust: certificate.certificateFile, serverName: serverName)
        try completeHandshakes(pair.client, pair.server)
        let message = Array(repeating: UInt8(ascii: "x"), count: 100_000)
        try writeAll(message, to: pair.client)
        #expect(try readExactly(message.count, from: pair.server) == message)
        try writeAll(Array("pong".utf8), to: pair.server)
        #expect(try readExactly(4, from: pair.client) == Array("pong".utf8))
        pair.client.shutdownOutput()
        var rest: [UInt8] = []
        let deadline = MonotonicInstant.after(milliseconds: 2_000)
        var outcome = IOOutcome.wouldBlock(.readable)
        let server = pair.server
        while case .wouldBlock = outcome, try Poller.waitFor(server.fileDescriptor, .readable, deadline: deadline) {
            outcome = try pair.server.read(appendingTo: &rest)
        }
        #expect(outcome == .endOfStream)
    }

    @Test func untrustedCertificateIsRefusedClearly() throws {
        let certificate = try TestCertificate()
        let pair = try makePair(certificate: certificate, trust: nil)
        let error = #expect(throws: TransportError.self) { try completeHandshakes(pair.client, pair.server) }
        #expect(error?.code == .certificate)
        let expected = "TLS: certificate verify failed for \(pair.listener.address): self-signed certificate"
        #expect(error?.message == expected)
    }

    @Test func hostNameMismatchIsRefused() throws {
        let certificate = try TestCertificate(subjectAltName: "DNS:other.example")
        let pair = try makePair(certificate: certificate, trust: certificate.certificateFile)
        let error = #expect(throws: TransportError.self) { try completeHandshakes(pair.client, pair.server) }
        #expect(error?.code == .certificate)
        #expect(error?.message == "TLS: certificate verify failed for \(pair.listener.address): IP address mismatch")
        let named = try makePair(certificate: certificate, trust: certificate.certificateFile, serverName: "localhost")
        let namedError = #expect(throws: TransportError.self) { try completeHandshakes(named.client, named.server) }
        #expect(namedError?.message.hasSuffix("hostname mismatch") == true)
    }

    @Test func missingCAFileIsNamed() {
        let error = #expect(throws: TransportError.self) { try TLSClientContext(extraCAFile: "/nonexistent/ca.pem") }
        #expect(error?.message.hasPrefix("TLS: cannot load CA file /nonexistent/ca.pem (CONCLAVE_CA_FILE):") == true)
    }
}

@Suite struct SignalSourceTests {
    @Test func reportsARaisedSignalOnItsDescriptor() throws {
        let source = try SignalSource([SIGUSR2])
        #expect(source.next() == nil)
        raise(SIGUSR2)
        var entries = [Poller.Entry(fileDescriptor: source.fileDescriptor, interest: .readable)]
        #expect(try Poller.wait(&entries, timeoutMilliseconds: 2_000) == 1)
        #expect(source.next() == SIGUSR2)
        #expect(source.next() == nil)
    }
}

@Suite struct UnixSocketTests {
    private func temporaryPath() throws -> (directory: TemporaryDirectory, path: String) {
        let directory = try TemporaryDirectory()
        return (directory, directory.appending("link.sock"))
    }

    @Test func listensPrivatelyCarriesBytesAndCleansUp() throws {
        let (directory, path) = try temporaryPath()
        defer { withExtendedLifetime(directory) {} }
        do {
            let listener = try UnixListeningSocket(path: path)
            var info = stat()
            #expect(stat(path, &info) == 0)
            #expect(info.st_mode & 0o777 == 0o600)
            let client = TransportStream(plain: try Socket.connect(unixPath: path))
            let accepted = try #require(try listener.accept())
            let server = TransportStream(plain: accepted)
            try writeAll(Array("hello\n".utf8), to: client)
            #expect(try readExactly(6, from: server) == Array("hello\n".utf8))
            let second = #expect(throws: TransportError.self) { try UnixListeningSocket(path: path) }
            #expect(second?.message == "cannot listen on \(path): another process is listening there")
        }
        #expect(access(path, F_OK) != 0)
    }

    @Test func replacesAStaleSocketFile() throws {
        let (directory, path) = try temporaryPath()
        defer { withExtendedLifetime(directory) {} }
        let stale = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(stale, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(stale)
        try #require(bound == 0)
        let listener = try UnixListeningSocket(path: path)
        _ = try Socket.connect(unixPath: path)
        #expect(try listener.accept() != nil)
    }

    @Test func refusesAMissingPath() {
        let error = #expect(throws: TransportError.self) { try Socket.connect(unixPath: "/nonexistent/link.sock") }
        #expect(error?.message == "cannot connect to /nonexistent/link.sock: No such file or directory")
    }
}

@Suite struct OutboundQueueTests {
    @Test func countsBytesAndTaggedMessagesUntilWritten() throws {
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let socket = try Socket.connect(to: listener.address, deadline: .after(milliseconds: 2_000))
        let writer = TransportStream(plain: socket)
        var queue = OutboundQueue()
        queue.append([1, 2], messageSize: 1)
        queue.append([3])
        queue.append([], messageSize: 9)
        queue.append([4, 5, 6], messageSize: 3)
        #expect(queue.byteCount == 6 && queue.messageCount == 2)
        #expect(try queue.flush(to: writer) == nil)
        #expect(queue.isEmpty && queue.messageCount == 0)
        #expect(queue.takeWrittenMessages() == (2, 4))
        #expect(queue.takeWrittenMessages() == (0, 0))
    }
}

extension OutboundQueueTests {
    /// Many chunks through a socket that fills up: partial vectored writes split chunks anywhere, and every
    /// byte still arrives once, in order, with every message counted.
    @Test func partialWritesAcrossChunksKeepOrderAndCounts() throws {
        let listener = try ListeningSocket(binding: HostAndPort(parsing: "127.0.0.1:0"))
        let writer = TransportStream(
            plain: try Socket.connect(to: listener.address, deadline: .after(milliseconds: 2_000)))
        let reader = TransportStream(plain: try #require(try listener.accept()))
        var queue = OutboundQueue()
        var expected: [UInt8] = []
        for index in 0..<300 {
            let chunk = (0..<(1 + index * 97 % 20_000)).map { UInt8(truncatingIfNeeded: $0 &+ index) }
            queue.append(chunk, messageSize: index % 2 == 0 ? chunk.count : nil)
            expected += chunk
        }
        var received: [UInt8] = []
        var written = (count: 0, bytes: 0)
        let deadline = MonotonicInstant.after(milliseconds: 10_000)
        while received.count < expected.count && !deadline.hasPassed {
            _ = try queue.flush(to: writer)
            let step = queue.takeWrittenMessages()
            written = (written.count + step.count, written.bytes + step.bytes)
            _ = try Poller.waitFor(reader.fileDescriptor, .readable, deadline: deadline)
            _ = try reader.read(appendingTo: &received)
        }
        #expect(received == expected)
        #expect(queue.isEmpty && queue.messageCount == 0)
        #expect(written.count == 150)
        #expect(written.bytes == (0..<300).filter { $0 % 2 == 0 }.map { 1 + $0 * 97 % 20_000 }.reduce(0, +))
    }
}
