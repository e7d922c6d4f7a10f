import ConclavePOSIX
import ConclaveWire

/// Dials a WebSocket server without blocking, for a tool that must keep serving its other descriptors
/// (stdin, socket clients) meanwhile: TCP connect (each resolved address in turn), TLS for `wss://`, then
/// the HTTP upgrade, all bounded by one deadline.
///
/// ```
/// let dialer = try WebSocketDialer(url: url, deadline: .after(milliseconds: 10_000))
/// while true {
///     poll dialer.fileDescriptor for dialer.pollInterest, at most dialer.deadline.millisecondsFromNow
///     if let client = try dialer.advance() { break }   // throws on failure or once the deadline passed
/// }
/// ```
/// Name resolution (getaddrinfo) happens in `init` and blocks.
package final class WebSocketDialer {
    private enum Phase {
        case connecting(Socket)
        case tlsHandshake(TransportStream, IOInterest)
        case sendingRequest(TransportStream)
        case readingResponse(TransportStream)
    }

    package let url: WebSocketURL
    /// When the whole dial gives up.
    package let deadline: MonotonicInstant
    private let tls: TLSClientContext?
    private let maximumMessageSize: Int
    private var addresses: [SocketAddress]
    private var phase: Phase
    private var handshake: WebSocketClientHandshake
    private var request = OutboundQueue()
    private var response: [UInt8] = []
    private var lastConnectError: TransportError?

    /// Resolves the host and starts connecting.
    ///
    /// - Parameter tls: the client TLS settings for `wss://`; made on demand (system CAs and
    ///   `CONCLAVE_CA_FILE`) when nil. Unused for `ws://`.
    package init(
        url: WebSocketURL, tls: TLSClientContext? = nil, deadline: MonotonicInstant,
        maximumMessageSize: Int = WebSocketConnection.defaultMaximumMessageSize
    ) throws(TransportError) {
        self.url = url
        self.deadline = deadline
        self.maximumMessageSize = maximumMessageSize
        if !url.isSecure {
            self.tls = nil
        } else if let tls {
            self.tls = tls
        } else {
            self.tls = try TLSClientContext()
        }
        do {
            handshake = try WebSocketClientHandshake(
                host: url.host, port: Int(url.port), path: url.path, isSecure: url.isSecure)
        } catch {
            throw TransportError(.upgrade, "cannot upgrade \(url): \(error)")
        }
        request.append(handshake.request)
        addresses = try SocketAddress.resolve(url.endpoint, passive: false)
        guard !addresses.isEmpty else {
            throw TransportError(.connect, "cannot connect to \(url.endpoint): no address")
        }
        phase = .connecting(try Self.startConnect(&addresses, endpoint: url.endpoint, lastError: &lastConnectError))
    }

    /// The descriptor to poll.
    package var fileDescriptor: Int32 {
        switch phase {
        case .connecting(let socket): socket.fileDescriptor
        case .tlsHandshake(let stream, _), .sendingRequest(let stream), .readingResponse(let stream):
            stream.fileDescriptor
        }
    }

    /// What to poll the descriptor for.
    package var pollInterest: IOInterest {
        switch phase {
        case .connecting, .sendingRequest: .writable
        case .tlsHandshake(_, let interest): interest
        case .readingResponse: .readable
        }
    }

    /// Makes what progress it can without blocking: the client once the upgrade is done, nil while it is
    /// still under way. Throws why the dial failed, or `.timeout` once the deadline has passed.
    package func advance() throws(TransportError) -> WebSocketClient? {
        while true {
            switch phase {
            case .connecting(let socket):
                var entries = [Poller.Entry(fileDescriptor: socket.fileDescriptor, interest: .writable)]
                guard try Poller.wait(&entries, timeoutMilliseconds: 0) > 0 else { return try notYet() }
                if let failure = socket.connectFailure(endpoint: url.endpoint) {
                    lastConnectError = failure
                    phase = .connecting(try Self.startConnect(&addresses, endpoint: url.endpoint,
                                                              lastError: &lastConnectError))
                    continue
                }
                if let tls {
                    let stream = try TransportStream(tlsClient: socket, context: tls, serverName: url.host)
                    phase = .tlsHandshake(stream, .writable)
                } else {
                    phase = .sendingRequest(TransportStream(plain: socket))
                }
            case .tlsHandshake(let stream, _):
                guard let interest = try stream.advanceHandshake() else {
                    phase = .sendingRequest(stream)
                    continue
                }
                phase = .tlsHandshake(stream, interest)
                return try notYet()
            case .sendingRequest(let stream):
                guard try request.flush(to: stream) == nil else { return try notYet() }
                phase = .readingResponse(stream)
            case .readingResponse(let stream):
                response.removeAll(keepingCapacity: true)
                switch try stream.read(appendingTo: &response) {
                case .transferred:
                    let upgraded: WebSocketClientHandshake.Upgraded?
                    do {
                        upgraded = try handshake.receive(response)
                    } catch {
                        throw TransportError(.upgrade, "\(url): \(error)", httpStatus: error.status)
                    }
                    if let upgraded {
                        return WebSocketClient(
                            url: url, stream: stream, upgraded: upgraded, maximumMessageSize: maximumMessageSize)
                    }
                case .wouldBlock:
                    return try notYet()
                case .endOfStream:
                    throw TransportError(.closed, "\(url) closed the connection during the WebSocket upgrade")
                }
            }
        }
    }

    /// Runs the dial to its end, waiting with poll(2).
    func complete() throws(TransportError) -> WebSocketClient {
        while true {
            if let client = try advance() { return client }
            var entries = [Poller.Entry(fileDescriptor: fileDescriptor, interest: pollInterest)]
            try Poller.wait(&entries, timeoutMilliseconds: deadline.millisecondsFromNow)
        }
    }

    /// nil while the deadline holds, else the timeout naming the step that was under way.
    private func notYet() throws(TransportError) -> WebSocketClient? {
        guard deadline.hasPassed else { return nil }
        let step = switch phase {
        case .connecting: "connecting to \(url.endpoint)"
        case .tlsHandshake: "in the TLS handshake with \(url.endpoint)"
        case .sendingRequest: "sending the WebSocket upgrade to \(url)"
        case .readingResponse: "waiting for the WebSocket upgrade from \(url)"
        }
        throw TransportError(.timeout, "timed out \(step)")
    }

    /// Starts connecting to the next address that does not fail at once.
    private static func startConnect(
        _ addresses: inout [SocketAddress], endpoint: HostAndPort, lastError: inout TransportError?
    ) throws(TransportError) -> Socket {
        while !addresses.isEmpty {
            let address = addresses.removeFirst()
            do {
                return try Socket.beginConnect(to: address, endpoint: endpoint).socket
            } catch {
                lastError = error
            }
        }
        throw lastError ?? TransportError(.connect, "cannot connect to \(endpoint): no address")
    }
}
