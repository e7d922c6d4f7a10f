import ConclavePOSIX

/// A connected byte stream, plain TCP or TLS, that knows nothing of what it carries. Non-blocking: reads and
/// writes move what they can and say what to wait for otherwise.
package final class TransportStream {
    package let socket: Socket
    private let tls: TLSSession?
    /// Made on the first `read(appendingTo:)`; servers read into a shared buffer instead.
    private var scratch: [UInt8] = []

    /// The descriptor to poll. Before polling for input, check `hasBufferedInput`.
    package var fileDescriptor: Int32 { socket.fileDescriptor }
    /// The peer, for messages (`127.0.0.1:4390`).
    package var label: String { socket.label }
    package var isTLS: Bool { tls != nil }
    /// Whether TLS already holds decrypted input: read it before waiting on the descriptor.
    package var hasBufferedInput: Bool { (tls?.pendingBytes ?? 0) > 0 }
    /// Whether the TLS handshake (if any) is done and data can flow.
    package var isReady: Bool { tls?.isHandshakeComplete ?? true }

    /// A plain TCP stream.
    package init(plain socket: Socket) {
        self.socket = socket
        tls = nil
    }

    /// The client side of TLS over `socket`; `serverName` is what the certificate must name.
    package init(tlsClient socket: Socket, context: TLSClientContext, serverName: String) throws(TransportError) {
        self.socket = socket
        tls = try TLSSession(client: context, socket: socket, serverName: serverName)
    }

    /// The server side of TLS over an accepted `socket`.
    package init(tlsServer socket: Socket, context: TLSServerContext) throws(TransportError) {
        self.socket = socket
        tls = try TLSSession(server: context, socket: socket)
    }

    /// Dials `endpoint` and, when `tls` is given, completes the TLS handshake, all before `deadline`.
    /// `serverName` (default: the endpoint's host) is the name the certificate must carry.
    package static func connect(
        to endpoint: HostAndPort, tls: TLSClientContext?, serverName: String? = nil, deadline: MonotonicInstant
    ) throws(TransportError) -> TransportStream {
        let socket = try Socket.connect(to: endpoint, deadline: deadline)
        guard let tls else { return TransportStream(plain: socket) }
        let stream = try TransportStream(tlsClient: socket, context: tls, serverName: serverName ?? endpoint.host)
        try stream.completeHandshake(deadline: deadline)
        return stream
    }

    /// Advances the TLS handshake without blocking: nil once the stream is ready, else what to wait for.
    package func advanceHandshake() throws(TransportError) -> IOInterest? {
        try tls?.advanceHandshake()
    }

    /// Runs the TLS handshake to its end, waiting with poll(2), until `deadline`.
    package func completeHandshake(deadline: MonotonicInstant) throws(TransportError) {
        while let interest = try advanceHandshake() {
            guard try Poller.waitFor(fileDescriptor, interest, deadline: deadline) else {
                throw TransportError(.timeout, "TLS: timed out in the handshake with \(label)")
            }
        }
    }

    /// Reads what is available into `buffer`.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOOutcome {
        if let tls { return try tls.read(into: buffer) }
        return try socket.receive(into: buffer)
    }

    /// Reads what is available (at most 16 KiB, one TLS record) and appends it to `buffer`.
    package func read(appendingTo buffer: inout [UInt8]) throws(TransportError) -> IOOutcome {
        if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: 16_384) }
        // withUnsafeMutableBytes rethrows untyped errors; Result carries the typed one out.
        let outcome = try scratch.withUnsafeMutableBytes { raw in
            Result { () throws(TransportError) in try read(into: raw) }
        }.get()
        if case .transferred(let count) = outcome { buffer.append(contentsOf: scratch[0..<count]) }
        return outcome
    }

    /// Writes as much of `bytes` as can go now.
    package func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOOutcome {
        if let tls { return try tls.write(bytes) }
        return try socket.send(bytes)
    }

    /// Closes the descriptor now (no TLS close_notify); see `shutdownOutput` for a polite end.
    package func close() {
        socket.close()
    }

    /// Ends our side politely: TLS close_notify (best effort), then a TCP half-close. The descriptor stays
    /// open until this object goes away, so the peer's last bytes can still be read.
    package func shutdownOutput() {
        tls?.sendCloseNotify()
        socket.shutdownOutput()
    }
}
