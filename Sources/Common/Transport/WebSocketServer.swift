import ConclaveWire

/// Accepts TCP (optionally TLS) connections on an `EventLoop`, answers plain HTTP requests, upgrades
/// `GET /` to WebSocket and hands each upgraded connection to `onUpgrade`.
///
/// Routes (PROTOCOL.md §2.1): `GET /health` → `200 ok`; `GET /metrics` → the `metrics` hook's text (404
/// without one); `GET /` with a valid upgrade → 101 with `x-conclave-server-id`; `GET /` without → 426;
/// other paths → 404.
package final class WebSocketServer: EventLoopHandler {
    package struct Configuration {
        /// Sent as `x-conclave-server-id` on every 101 (PROTOCOL.md §2.3).
        package var serverID: String?
        /// From TCP accept until the 101 is queued; a slower client is dropped.
        package var upgradeTimeoutMilliseconds = 10_000
        /// The largest WebSocket message accepted (and sent).
        package var maximumMessageSize = WebSocketConnection.defaultMaximumMessageSize
        /// The most bytes one connection may have queued for sending; a send beyond it is refused
        /// (`SendOutcome.queueFull`).
        package var maximumOutboundBytes = 64 * 1024 * 1024
        /// How long a closing connection waits for the peer's Close, and for its output to drain.
        package var closeTimeoutMilliseconds = 5_000
        /// How long a connection whose last bytes are written and whose output is shut waits for the peer to
        /// close before closing itself.
        package var lingerMilliseconds = 500
        /// The most sockets accepted at once (upgraded or not); accepting pauses at the bound, so that descriptors
        /// stay for the rest of the process (its store, its log).
        package var maximumConnections = Int.max
        /// The most upgraded connections; past it an upgrade gets 503, so that the connections between this and
        /// `maximumConnections` stay for plain requests such as `/health`.
        package var maximumUpgraded = Int.max
        /// The most bytes of control frames (pongs, mostly) queued for one peer: a connection reads no more than the
        /// room left, and nothing while this much waits, so a peer that pings without reading the pongs cannot
        /// make it hold more.
        package var maximumOutboundControlBytes = 64 * 1024
        /// The most connections from one source address; a connection past it is closed at once.
        package var maximumConnectionsPerAddress = Int.max
        /// Whether loopback addresses are held to `maximumConnectionsPerAddress` too. A reverse proxy on the same
        /// machine (TLS terminated in front of the server) and local tools all come from loopback.
        package var capsLoopback = true
        /// The most messages one connection hands to its handler per loop turn; the rest wait for the next turn,
        /// and its socket is not read meanwhile, so that one connection's pipelined requests cannot starve the
        /// others.
        package var maximumMessagesPerTurn = 64
        /// Past this much time handling one connection's messages in a loop turn, the rest wait for the next turn
        /// too: 64 requests that each take long (a list of tens of thousands of channels) would otherwise hold
        /// every other connection for seconds.
        package var maximumMillisecondsPerTurn = 20
        /// Serves `wss://` when set.
        package var tls: TLSServerContext?
        /// The body of `GET /metrics` (Prometheus text), asked for at each request.
        package var metrics: (() -> String)?

        package init(serverID: String? = nil, tls: TLSServerContext? = nil) {
            self.serverID = serverID
            self.tls = tls
        }
    }

    package let listener: ListeningSocket
    package let configuration: Configuration
    /// Called once per upgraded connection, right after its 101 is queued; set `connection.handler` here.
    package var onUpgrade: (WebSocketServerConnection) -> Void = { _ in }
    /// Called with one line per connection-level event worth logging (refused requests, I/O errors).
    package var log: (String) -> Void = { _ in }

    /// Unowned: the loop holds the server (the listener's handler) while it accepts, so the owner of both keeps
    /// the loop alive.
    private unowned let loop: EventLoop
    /// One read buffer for every connection: they take turns on one thread, and an idle connection then
    /// holds no read buffer of its own.
    let readBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
    private var connections: [Int32: WebSocketServerConnection] = [:]
    private var nextConnectionID: UInt64 = 1
    private var isAccepting = false
    /// Accepting is suspended for a moment after an accept error.
    private var isPaused = false
    /// Accepting is suspended while `maximumConnections` are open.
    private var isFull = false
    /// An accept error was logged and no accept has succeeded since: one line per episode, not one per retry.
    private var isInAcceptTrouble = false
    private var connectionsPerAddress: [String: Int] = [:]
    private var upgradedCount = 0

    /// Listens on `listener` through `loop`; nothing is accepted before `start()`.
    package init(listener: ListeningSocket, loop: EventLoop, configuration: Configuration) {
        self.listener = listener
        self.loop = loop
        self.configuration = configuration
    }

    deinit { readBuffer.deallocate() }

    /// The address actually bound.
    package var address: HostAndPort { listener.address }

    /// Connections accepted and not yet closed, upgraded or not.
    package var connectionCount: Int { connections.count }

    /// Starts accepting.
    package func start() throws(TransportError) {
        guard !isAccepting else { return }
        isPaused = false
        isFull = false
        try loop.register(listener.fileDescriptor, interest: .readable, handler: self)
        isAccepting = true
    }

    /// Stops accepting; open connections carry on.
    package func stopAccepting() {
        guard isAccepting else { return }
        if !isPaused && !isFull { loop.unregister(listener.fileDescriptor) }
        isAccepting = false
        isPaused = false
        isFull = false
    }

    /// For a server shutting down: every upgraded connection gets a Close after what is queued and is not read
    /// from any more (see `WebSocketServerConnection.finish()`); the others are dropped.
    package func finishAll() {
        for connection in Array(connections.values) { connection.finish() }
    }

    package func handle(_ events: IOEvents, on loop: EventLoop) {
        // A bounded batch per turn keeps a connection storm from starving established connections.
        for _ in 0..<64 {
            guard connections.count < configuration.maximumConnections else {
                log("\(connections.count) connections open, the most allowed; pausing accepts until one closes")
                isFull = true
                loop.unregister(listener.fileDescriptor)
                return
            }
            let accepted: Socket?
            do {
                accepted = try listener.accept()
            } catch {
                // Typically out of descriptors (EMFILE): the listener stays readable, so pause rather than spin.
                if !isInAcceptTrouble { log("\(error.message); pausing accepts (retrying every 100 ms)") }
                isInAcceptTrouble = true
                pauseAccepting(milliseconds: 100)
                return
            }
            guard let socket = accepted else { return }
            if isInAcceptTrouble { log("accepting again") }
            isInAcceptTrouble = false
            open(socket)
        }
    }

    private func pauseAccepting(milliseconds: Int) {
        guard isAccepting, !isFull else { return }
        loop.unregister(listener.fileDescriptor)
        isPaused = true
        loop.schedule(afterMilliseconds: milliseconds) { [weak self] in
            guard let self, isPaused else { return }
            isPaused = false
            do throws(TransportError) {
                try loop.register(listener.fileDescriptor, interest: .readable, handler: self)
            } catch {
                log(error.message)
                isAccepting = false
            }
        }
    }

    private func open(_ socket: Socket) {
        let address = Self.address(of: socket.label)
        let fromAddress = connectionsPerAddress[address, default: 0]
        let isLoopback = address.hasPrefix("127.") || address == "::1" || address == "[::1]"
        let isCapped = configuration.capsLoopback || !isLoopback
        guard !isCapped || fromAddress < configuration.maximumConnectionsPerAddress else {
            log("\(socket.label) → closed: \(fromAddress) connections from \(address) already")
            socket.close()
            return
        }
        let stream: TransportStream
        do {
            stream = try configuration.tls.map { context throws(TransportError) in
                try TransportStream(tlsServer: socket, context: context)
            } ?? TransportStream(plain: socket)
        } catch {
            log(error.message)
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let connection = WebSocketServerConnection(id: id, stream: stream, server: self, loop: loop)
        do {
            try loop.register(stream.fileDescriptor, interest: .readable, handler: connection)
        } catch {
            log(error.message)
            return
        }
        connections[stream.fileDescriptor] = connection
        connectionsPerAddress[address] = fromAddress + 1
        connection.startUpgradeDeadline(milliseconds: configuration.upgradeTimeoutMilliseconds)
    }

    /// Called by a connection when its socket is done; the loop registration is already gone.
    func connectionDidEnd(_ connection: WebSocketServerConnection) {
        guard connections.removeValue(forKey: connection.fileDescriptor) != nil else { return }
        let address = Self.address(of: connection.peer)
        let remaining = connectionsPerAddress[address, default: 1] - 1
        connectionsPerAddress[address] = remaining > 0 ? remaining : nil
        if connection.wasUpgraded { upgradedCount -= 1 }
        if isFull && isAccepting && connections.count < configuration.maximumConnections {
            isFull = false
            log("accepting again")
            do throws(TransportError) {
                try loop.register(listener.fileDescriptor, interest: .readable, handler: self)
            } catch {
                log(error.message)
                isAccepting = false
            }
        }
    }

    /// The host part of a peer label (`127.0.0.1:5000`, `[::1]:5000`).
    private static func address(of label: String) -> String {
        guard let colon = label.lastIndex(of: ":") else { return label }
        return String(label[..<colon])
    }

    /// The answer to a complete request head: a 101 (returning the client key) or a plain response.
    func route(_ request: HTTPRequest) -> Routing {
        switch request.path {
        case "/":
            do {
                let key = try request.webSocketKey()
                guard upgradedCount < configuration.maximumUpgraded else {
                    let refusal = HTTPResponse.plain(.serviceUnavailable, text: "Service Unavailable\n")
                    return .respond(refusal, summary: "503 (\(upgradedCount) sessions, the most allowed)")
                }
                upgradedCount += 1
                return .upgrade(key: key)
            } catch {
                return .respond(HTTPResponse.refusal(for: error), summary: "\(error.responseStatus.code) (\(error))")
            }
        case "/health":
            return plainGet(request) { HTTPResponse.plain(.ok, text: "ok") }
        case "/metrics":
            guard let metrics = configuration.metrics else {
                return .respond(HTTPResponse.plain(.notFound, text: "Not Found\n"), summary: "404")
            }
            return plainGet(request) {
                HTTPResponse.plain(.ok, contentType: "text/plain; version=0.0.4", body: Array(metrics().utf8))
            }
        default:
            return .respond(HTTPResponse.plain(.notFound, text: "Not Found\n"), summary: "404")
        }
    }

    private func plainGet(_ request: HTTPRequest, _ response: () -> [UInt8]) -> Routing {
        guard request.method == "GET" else {
            let refusal = HTTPResponse.plain(
                .methodNotAllowed, text: "Method Not Allowed\n", extraHeaders: [("Allow", "GET")])
            return .respond(refusal, summary: "405")
        }
        return .respond(response(), summary: "200")
    }

    enum Routing {
        case upgrade(key: String)
        case respond([UInt8], summary: String)
    }
}
