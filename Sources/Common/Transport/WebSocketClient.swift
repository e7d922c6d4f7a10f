import ConclavePOSIX
import ConclaveWire

/// A WebSocket client connection for single-threaded tools: dial with `connect`, then poll
/// `fileDescriptor` for `pollInterest`; when it is readable take events with `nextEvent()` until it
/// returns nil, and call `flush()` when it is writable.
///
/// ```
/// let client = try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 10_000))
/// try client.send(binary: frame)
/// while !client.isClosed {
///     if !client.hasBufferedInput { poll client.fileDescriptor for client.pollInterest (and stdin) }
///     while let event = try client.nextEvent() { … }
///     try client.flush()
/// }
/// ```
package final class WebSocketClient {
    package let url: WebSocketURL
    /// The server's `x-conclave-server-id`, when its 101 response carried one (PROTOCOL.md §2.3).
    package let serverID: String?
    private let stream: TransportStream
    private var connection: WebSocketConnection
    private var outbound = OutboundQueue()
    /// Bytes were handed to the connection that may still hold events (e.g. frames that came with the 101).
    private var hasUnparsedInput: Bool
    private var input: [UInt8] = []
    private var reachedEndOfStream = false

    init(url: WebSocketURL, stream: TransportStream, upgraded: WebSocketClientHandshake.Upgraded,
         maximumMessageSize: Int) {
        self.url = url
        self.stream = stream
        serverID = upgraded.serverID
        connection = WebSocketConnection(role: .client, maximumMessageSize: maximumMessageSize)
        hasUnparsedInput = !upgraded.leftover.isEmpty
        connection.receive(upgraded.leftover)
    }

    /// Dials `url`, runs TLS for `wss://` and the HTTP upgrade, blocking until done or `deadline`. A tool
    /// that must keep serving other descriptors meanwhile uses `WebSocketDialer`.
    ///
    /// - Parameter tls: the client TLS settings for `wss://`; made on demand (system CAs and
    ///   `CONCLAVE_CA_FILE`) when nil. Unused for `ws://`.
    package static func connect(
        to url: WebSocketURL, tls: TLSClientContext? = nil, deadline: MonotonicInstant,
        maximumMessageSize: Int = WebSocketConnection.defaultMaximumMessageSize
    ) throws(TransportError) -> WebSocketClient {
        try WebSocketDialer(url: url, tls: tls, deadline: deadline, maximumMessageSize: maximumMessageSize).complete()
    }

    /// The descriptor to poll.
    package var fileDescriptor: Int32 { stream.fileDescriptor }

    /// What to poll the descriptor for: readable always, writable while output is queued.
    package var pollInterest: IOInterest { outbound.isEmpty ? .readable : [.readable, .writable] }

    /// Whether `nextEvent()` may have something without waiting (decrypted TLS bytes, or frames not yet
    /// taken): check it before polling.
    package var hasBufferedInput: Bool { hasUnparsedInput || stream.hasBufferedInput }

    /// Bytes queued for the server and not yet written.
    package var outboundByteCount: Int { outbound.byteCount }

    /// Whether the WebSocket close handshake has finished (or the connection failed); no more events come.
    package var isClosed: Bool { connection.isClosed || (reachedEndOfStream && !hasUnparsedInput) }

    /// The next message or control event, reading what has arrived without blocking; nil when nothing more
    /// is there now (poll, then call again) or after the close. Pings are answered here. Take each event
    /// (and send its replies) before asking for the next, so replies keep their order. Throws `.closed`
    /// when the connection ends without a WebSocket close.
    package func nextEvent() throws(TransportError) -> WebSocketEvent? {
        while true {
            if let event = connection.nextEvent() {
                try flushConnectionOutput()
                return event
            }
            try flushConnectionOutput()
            if connection.isClosed || reachedEndOfStream {
                hasUnparsedInput = false
                if connection.isClosed { return nil }
                throw TransportError(.closed, "\(url) closed the connection without a WebSocket close")
            }
            input.removeAll(keepingCapacity: true)
            switch try stream.read(appendingTo: &input) {
            case .transferred:
                connection.receive(input)
                hasUnparsedInput = true
            case .wouldBlock:
                hasUnparsedInput = false
                return nil
            case .endOfStream:
                reachedEndOfStream = true
            }
        }
    }

    private func flushConnectionOutput() throws(TransportError) {
        guard connection.hasPendingOutput else { return }
        outbound.append(connection.takeOutput())
        try flush()
    }

    /// Queues one binary message and writes what can go now.
    package func send(binary message: [UInt8]) throws(TransportError) {
        do {
            try connection.sendBinary(message)
        } catch {
            throw sendError(error)
        }
        outbound.append(connection.takeOutput())
        try flush()
    }

    /// Queues one text message and writes what can go now.
    package func send(text message: String) throws(TransportError) {
        do {
            try connection.sendText(message)
        } catch {
            throw sendError(error)
        }
        outbound.append(connection.takeOutput())
        try flush()
    }

    /// Sends a WebSocket ping (at most 125 bytes); its pong arrives as `.pong`. Conclave's own liveness
    /// check is the application-level `ping` frame (PROTOCOL.md §2.5), not this.
    package func sendPing(_ payload: [UInt8] = []) throws(TransportError) {
        do {
            try connection.sendPing(payload)
        } catch {
            throw sendError(error)
        }
        outbound.append(connection.takeOutput())
        try flush()
    }

    private func sendError(_ error: WebSocketError) -> TransportError {
        TransportError(error.code == .messageTooLarge ? .tooLarge : .closed, "cannot send to \(url): \(error)")
    }

    /// Writes queued output as far as the socket takes it; true when nothing is left.
    @discardableResult
    package func flush() throws(TransportError) -> Bool {
        try outbound.flush(to: stream) == nil
    }

    /// Starts the WebSocket close handshake (a Close frame with `code`, or none with nil); keep reading
    /// until `isClosed`.
    package func close(code: WebSocketCloseCode? = .normalClosure) throws(TransportError) {
        try? connection.close(code: code)
        outbound.append(connection.takeOutput())
        try flush()
    }

    /// Closes politely and waits, at most until `deadline`, for the server's Close and then for the server
    /// to close TCP (RFC 6455 §7.1.1: the server closes first); then ends the stream. Messages that arrive
    /// meanwhile are dropped. Never throws: the link is going away anyway.
    package func closeAndWait(deadline: MonotonicInstant, code: WebSocketCloseCode? = .normalClosure) {
        do {
            try close(code: code)
            while !isClosed {
                guard try waitForInput(deadline: deadline) else { break }
                while try nextEvent() != nil {}
            }
            while !reachedEndOfStream {
                guard try waitForInput(deadline: deadline) else { break }
                input.removeAll(keepingCapacity: true)
                switch try stream.read(appendingTo: &input) {
                case .endOfStream: reachedEndOfStream = true
                case .transferred, .wouldBlock: continue
                }
            }
        } catch {
            // The peer is gone or broken; there is nothing more to say to it.
        }
        stream.shutdownOutput()
    }

    /// Waits for input or writability until `deadline`, flushing when writable; false once it passed.
    private func waitForInput(deadline: MonotonicInstant) throws(TransportError) -> Bool {
        if hasBufferedInput { return true }
        var entries = [Poller.Entry(fileDescriptor: fileDescriptor, interest: pollInterest)]
        let timeout = deadline.millisecondsFromNow
        if try Poller.wait(&entries, timeoutMilliseconds: timeout) == 0 {
            return !(timeout == 0 || deadline.hasPassed)
        }
        if entries[0].ready.contains(.writable) { try flush() }
        return true
    }

    /// Waits until an event arrives or `deadline` passes; for tools with nothing else to watch, and for
    /// tests. Returns nil once the connection is closed.
    package func nextEvent(deadline: MonotonicInstant) throws(TransportError) -> WebSocketEvent? {
        while !isClosed {
            if let event = try nextEvent() { return event }
            if isClosed { break }
            guard try waitForInput(deadline: deadline) else {
                throw TransportError(.timeout, "timed out waiting for a message from \(url)")
            }
        }
        return nil
    }
}
