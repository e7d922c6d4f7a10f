internal import Glibc

/// Dials a WebSocket server on an `EventLoop` without blocking it: TCP connect (each resolved address in
/// turn), TLS for `wss://`, and the HTTP upgrade, all driven by readiness events and bounded by one
/// deadline. The loop keeps serving its other descriptors and timers meanwhile.
///
/// ```
/// let dialer = WebSocketDialer(url: url, loop: loop, timeoutMilliseconds: 10_000) { result in
///     switch result { case .success(let client): … case .failure(let error): … }
/// }
/// dialer.start()
/// ```
///
/// Host names are resolved on a thread of their own (`BackgroundResolver`): getaddrinfo can block for as long
/// as the system's resolver takes. IP literals are converted on the spot.
public final class WebSocketDialer {
    /// Where the dial stands.
    private enum Stage {
        case idle
        case resolving(BackgroundResolver)
        case connecting(Socket)
        case tlsHandshake(TransportStream)
        case sendingRequest(TransportStream)
        case awaitingResponse(TransportStream)
        case finished
    }

    public let url: WebSocketURL
    private let tls: TLSClientContext?
    private unowned let loop: EventLoop
    private let timeoutMilliseconds: Int
    private let maximumMessageSize: Int
    private var completion: ((Result<WebSocketClient, TransportError>) -> Void)?
    private var stage = Stage.idle
    private var addresses: [SocketAddress] = []
    private var nextAddress = 0
    private var lastConnectError: TransportError?
    private var handshake: WebSocketClientHandshake?
    private var request = OutboundQueue()
    private var deadlineTimer: EventLoop.TimerID?
    private var registeredDescriptor: Int32 = -1

    /// - Parameters:
    ///   - tls: the client TLS settings for `wss://`; made on demand when nil. Unused for `ws://`.
    ///   - timeoutMilliseconds: the bound on the whole dial (connect, TLS, upgrade).
    ///   - completion: called once on the loop's thread, never from `start()` itself.
    public init(
        url: WebSocketURL, tls: TLSClientContext? = nil, loop: EventLoop, timeoutMilliseconds: Int,
        maximumMessageSize: Int = WebSocketConnection.defaultMaximumMessageSize,
        completion: @escaping (Result<WebSocketClient, TransportError>) -> Void
    ) {
        self.url = url
        self.tls = tls
        self.loop = loop
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maximumMessageSize = maximumMessageSize
        self.completion = completion
    }

    /// Starts dialling; the result arrives through `completion`.
    public func start() {
        guard case .idle = stage else { return }
        deadlineTimer = loop.schedule(afterMilliseconds: timeoutMilliseconds) { [weak self] in
            guard let self else { return }
            self.finish(.failure(TransportError(.timeout, self.timeoutText)))
        }
        do {
            if SocketAddress.isIPLiteral(url.host) {
                addresses = try SocketAddress.resolve(url.endpoint, passive: false)
                try connectNextAddress()
            } else {
                stage = .resolving(try BackgroundResolver(url.endpoint, loop: loop) { [weak self] result in
                    self?.resolved(result)
                })
            }
        } catch {
            // The completion must not run inside start(): the caller may still be setting up.
            loop.runSoon { [weak self] in self?.finish(.failure(error)) }
        }
    }

    private func resolved(_ result: Result<[SocketAddress], TransportError>) {
        guard case .resolving = stage else { return }
        stage = .idle
        do {
            addresses = try result.get()
            try connectNextAddress()
        } catch {
            finish(.failure(error))
        }
    }

    /// Abandons the dial: closes what was opened; `completion` is not called.
    public func cancel() {
        completion = nil
        finish(nil)
    }

    private var timeoutText: String {
        let what: String
        switch stage {
        case .resolving: what = "resolving \(url.host)"
        case .idle, .connecting: what = "connecting to \(url.endpoint)"
        case .tlsHandshake: what = "in the TLS handshake with \(url.endpoint)"
        case .sendingRequest, .awaitingResponse, .finished: what = "waiting for the WebSocket upgrade from \(url)"
        }
        return "timed out after \(timeoutMilliseconds) ms \(what)"
    }

    // MARK: Stages

    private func connectNextAddress() throws(TransportError) {
        while nextAddress < addresses.count {
            let address = addresses[nextAddress]
            nextAddress += 1
            do {
                let socket = try Self.startConnect(to: address, endpoint: url.endpoint)
                stage = .connecting(socket)
                try watch(socket.fileDescriptor, for: .writable)
                return
            } catch {
                lastConnectError = error
            }
        }
        throw lastConnectError ?? TransportError(.connect, "cannot connect to \(url.endpoint): no address")
    }

    /// A socket whose non-blocking connect is under way (or done); throws if this address failed at once.
    private static func startConnect(
        to address: SocketAddress, endpoint: HostAndPort
    ) throws(TransportError) -> Socket {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw TransportError(.connect, "cannot connect to \(endpoint): socket: \(TransportError.errnoText(errno))")
        }
        let socket = Socket(adopting: fd, label: endpoint.description)
        var status = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        while status != 0 && errno == EINTR {
            status = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        }
        guard status == 0 || errno == EINPROGRESS || errno == EALREADY else {
            throw TransportError(.connect, "cannot connect to \(endpoint): \(TransportError.errnoText(errno))")
        }
        return socket
    }

    private func connected(_ socket: Socket) throws(TransportError) {
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(socket.fileDescriptor, SOL_SOCKET, SO_ERROR, &failure, &length)
        guard failure == 0 else {
            lastConnectError = TransportError(
                .connect, "cannot connect to \(url.endpoint): \(TransportError.errnoText(failure))")
            unwatch()
            socket.close()
            try connectNextAddress()
            return
        }
        socket.setNoDelay()
        unwatch()
        if url.isSecure {
            let context: TLSClientContext
            if let tls { context = tls } else { context = try TLSClientContext() }
            let stream = try TransportStream(tlsClient: socket, context: context, serverName: url.host)
            stage = .tlsHandshake(stream)
            try advanceTLS(stream)
        } else {
            try startUpgrade(TransportStream(plain: socket))
        }
    }

    private func advanceTLS(_ stream: TransportStream) throws(TransportError) {
        if let interest = try stream.advanceHandshake() {
            try watch(stream.fileDescriptor, for: interest)
        } else {
            try startUpgrade(stream)
        }
    }

    private func startUpgrade(_ stream: TransportStream) throws(TransportError) {
        do {
            handshake = try WebSocketClientHandshake(
                host: url.host, port: Int(url.port), path: url.path, isSecure: url.isSecure)
        } catch {
            throw TransportError(.upgrade, "cannot upgrade \(url): \(error)")
        }
        request.append(handshake?.request ?? [])
        stage = .sendingRequest(stream)
        try sendRequest(stream)
    }

    private func sendRequest(_ stream: TransportStream) throws(TransportError) {
        if let interest = try request.flush(to: stream) {
            try watch(stream.fileDescriptor, for: interest)
            return
        }
        stage = .awaitingResponse(stream)
        try watch(stream.fileDescriptor, for: .readable)
        try readResponse(stream)
    }

    private func readResponse(_ stream: TransportStream) throws(TransportError) {
        var buffer: [UInt8] = []
        while true {
            buffer.removeAll(keepingCapacity: true)
            switch try stream.read(appendingTo: &buffer) {
            case .transferred:
                guard var current = handshake else { return }
                let upgraded: WebSocketClientHandshake.Upgraded?
                do {
                    upgraded = try current.receive(buffer)
                } catch {
                    throw TransportError(.upgrade, "\(url): \(error)", httpStatus: error.status)
                }
                handshake = current
                if let upgraded {
                    let client = WebSocketClient(
                        url: url, stream: stream, upgraded: upgraded, maximumMessageSize: maximumMessageSize)
                    unwatch()
                    stage = .finished
                    finish(.success(client))
                    return
                }
            case .wouldBlock(let interest):
                try watch(stream.fileDescriptor, for: interest)
                return
            case .endOfStream:
                throw TransportError(.closed, "\(url) closed the connection during the WebSocket upgrade")
            }
        }
    }

    // MARK: Events

    fileprivate func handleReadiness() {
        do {
            switch stage {
            case .connecting(let socket): try connected(socket)
            case .tlsHandshake(let stream): try advanceTLS(stream)
            case .sendingRequest(let stream): try sendRequest(stream)
            case .awaitingResponse(let stream): try readResponse(stream)
            case .idle, .resolving, .finished: unwatch()
            }
        } catch {
            finish(.failure(error))
        }
    }

    private func watch(_ fd: Int32, for interest: IOInterest) throws(TransportError) {
        if registeredDescriptor == fd {
            loop.setInterest(interest, for: fd)
            return
        }
        unwatch()
        try loop.register(fd, interest: interest, handler: ReadinessRelay(self))
        registeredDescriptor = fd
    }

    private func unwatch() {
        guard registeredDescriptor >= 0 else { return }
        loop.unregister(registeredDescriptor)
        registeredDescriptor = -1
    }

    /// Ends the dial once: stops watching, drops what was opened unless it went to the caller.
    private func finish(_ result: Result<WebSocketClient, TransportError>?) {
        if let deadlineTimer { loop.cancel(deadlineTimer) }
        deadlineTimer = nil
        unwatch()
        switch stage {
        case .resolving(let resolver): resolver.cancel()
        case .connecting(let socket): socket.close()
        case .tlsHandshake(let stream), .sendingRequest(let stream), .awaitingResponse(let stream): stream.close()
        case .idle, .finished: break
        }
        stage = .finished
        handshake = nil
        guard let result, let completion else { return }
        self.completion = nil
        completion(result)
    }
}

/// The loop's handler for the dialer's descriptor; weak, so an abandoned dialer can go away.
private final class ReadinessRelay: EventLoopHandler {
    private weak var dialer: WebSocketDialer?

    init(_ dialer: WebSocketDialer) { self.dialer = dialer }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        dialer?.handleReadiness()
    }
}
