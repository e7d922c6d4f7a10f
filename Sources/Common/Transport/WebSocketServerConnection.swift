import ConclavePOSIX
import ConclaveWire

/// Receives what one upgraded server connection delivers. Set on `WebSocketServerConnection.handler`
/// in `WebSocketServer.onUpgrade`; the connection holds it weakly, so its owner must keep it alive.
package protocol WebSocketServerConnectionHandler: AnyObject {
    /// A complete binary message.
    func connection(_ connection: WebSocketServerConnection, didReceiveBinary message: [UInt8])
    /// A complete text message (conclave ignores them, PROTOCOL.md §2.2; the default does nothing).
    func connection(_ connection: WebSocketServerConnection, didReceiveText message: String)
    /// Messages sent with `send` have been completely written to the socket: how many, and the sum of their
    /// sizes as given to `send` (payload bytes, without WebSocket framing). The default does nothing.
    func connection(_ connection: WebSocketServerConnection, didWriteMessages count: Int, bytes: Int)
    /// The connection is over and its socket closed; called once.
    func connectionDidEnd(_ connection: WebSocketServerConnection, reason: WebSocketServerConnection.EndReason)
}

extension WebSocketServerConnectionHandler {
    package func connection(_ connection: WebSocketServerConnection, didReceiveText message: String) {}
    package func connection(_ connection: WebSocketServerConnection, didWriteMessages count: Int, bytes: Int) {}
}

/// One accepted connection of a `WebSocketServer`: TLS handshake (if any), the HTTP request, then
/// WebSocket messages both ways through a write queue bounded in bytes.
package final class WebSocketServerConnection: EventLoopHandler {
    /// What became of a send.
    package enum SendOutcome: Hashable, Sendable {
        case queued
        /// Queuing it would exceed `maximumOutboundBytes`; nothing was queued. The caller decides whether
        /// to drop the connection (a slow consumer).
        case queueFull
        /// The connection is closing or closed.
        case closed
        /// The message exceeds `maximumMessageSize`; nothing was queued.
        case tooLarge
    }

    /// Why a connection ended.
    package enum EndReason: Hashable, Sendable, CustomStringConvertible {
        /// The peer sent a Close (with its code, if any).
        case closedByPeer(WebSocketCloseCode?)
        /// We closed it (`close()`), and the close handshake finished or timed out.
        case closedByServer
        /// The socket ended without a Close.
        case peerVanished
        /// The peer broke RFC 6455; a Close with the matching code was sent.
        case protocolViolation(WebSocketError)
        /// The upgrade did not finish in time.
        case upgradeTimedOut
        /// A read or write failed.
        case transportFailure(TransportError)
        /// `abort(_:)` was called with this reason.
        case aborted(String)

        package var description: String {
            switch self {
            case .closedByPeer(let code): code.map { "closed by peer (code \($0))" } ?? "closed by peer"
            case .closedByServer: "closed by server"
            case .peerVanished: "connection lost"
            case .protocolViolation(let error): "\(error)"
            case .upgradeTimedOut: "upgrade timed out"
            case .transportFailure(let error): error.message
            case .aborted(let reason): reason
            }
        }
    }

    private enum Phase {
        case tlsHandshake
        case readingRequest
        /// A plain HTTP response is queued; the socket closes once it is written.
        case responding
        case open
        /// We sent a Close and wait for the peer's.
        case closing
        /// The WebSocket is closed; the last frames are written, then the socket closes.
        case draining
        case ended
    }

    /// A number unique within the server, for logs.
    package let id: UInt64
    /// When the TCP connection was accepted: the handshake deadline runs from here (TOOLS.md `conclave-serve`).
    package let acceptedAt = MonotonicInstant.now()
    /// The peer's address, `127.0.0.1:53211`.
    package var peer: String { label }
    /// Receives messages and the end; set it in `onUpgrade`. Weak: a handler usually owns its connections (a
    /// server's runner does), and a strong reference back would keep both alive for ever.
    package weak var handler: WebSocketServerConnectionHandler?

    private let label: String
    private let stream: TransportStream
    private unowned let server: WebSocketServer
    private unowned let loop: EventLoop
    private var phase = Phase.tlsHandshake
    private var requestParser = HTTPRequestParser()
    private var connection: WebSocketConnection
    private var outbound = OutboundQueue()
    private var endReason: EndReason?
    private var upgradeTimer: EventLoop.TimerID?
    private var closeTimer: EventLoop.TimerID?
    private var isFlushScheduled = false
    private var isOutputShut = false
    private(set) var wasUpgraded = false
    /// TLS asked to write before it can read (a key update); watch for writability until the next read.
    private var readWantsWrite = false
    /// Reading stopped because the outbound queue is full or delivery is paused.
    private var isReadingPaused = false
    /// Messages already read wait for the next turn (`maximumMessagesPerTurn`); nothing more is read until then.
    private var isDeliveryDeferred = false
    /// The handler cannot take more messages for now (``pauseDelivery()``).
    private var isDeliveryPaused = false

    init(id: UInt64, stream: TransportStream, server: WebSocketServer, loop: EventLoop) {
        self.id = id
        self.stream = stream
        self.server = server
        self.loop = loop
        label = stream.label
        connection = WebSocketConnection(role: .server, maximumMessageSize: server.configuration.maximumMessageSize)
        if !stream.isTLS { phase = .readingRequest }
    }

    var fileDescriptor: Int32 { stream.fileDescriptor }

    /// Whether messages can be sent (upgraded, no Close sent or received).
    package var isOpen: Bool { phase == .open }

    /// Bytes queued for this peer and not yet written.
    package var outboundByteCount: Int { outbound.byteCount }

    /// Messages queued with `send` and not yet completely written.
    package var outboundMessageCount: Int { outbound.messageCount }

    /// The largest message accepted (and sent); a server lowers it until its peer has authenticated.
    package var maximumMessageSize: Int {
        get { connection.maximumMessageSize }
        set { connection.maximumMessageSize = newValue }
    }

    // MARK: Sending

    /// Queues one binary message.
    @discardableResult
    package func send(binary message: [UInt8]) -> SendOutcome {
        guard phase == .open else { return .closed }
        guard fits(message.count + 14) else { return .queueFull }
        moveConnectionOutput()
        do { try connection.sendBinary(message) } catch { return error.code == .messageTooLarge ? .tooLarge : .closed }
        queueConnectionOutput(messageSize: message.count)
        return .queued
    }

    /// Queues one text message.
    @discardableResult
    package func send(text message: String) -> SendOutcome {
        guard phase == .open else { return .closed }
        guard fits(message.utf8.count + 14) else { return .queueFull }
        moveConnectionOutput()
        do { try connection.sendText(message) } catch { return error.code == .messageTooLarge ? .tooLarge : .closed }
        queueConnectionOutput(messageSize: message.utf8.count)
        return .queued
    }

    /// Queues a frame already encoded with `WebSocketFrame.encode` (unmasked, at most `maximumMessageSize` of
    /// payload), so a message fanned out to many connections is encoded once; the queues share its storage.
    /// `messageSize` is what `didWriteMessages` reports for it (default: the frame's length).
    @discardableResult
    package func send(encodedFrame frame: [UInt8], messageSize: Int? = nil) -> SendOutcome {
        guard phase == .open else { return .closed }
        guard fits(frame.count) else { return .queueFull }
        moveConnectionOutput()
        outbound.append(frame, messageSize: messageSize ?? frame.count)
        scheduleFlush()
        return .queued
    }

    /// Closes politely: a Close with no status code after the frames already queued (PROTOCOL.md §2.2),
    /// then the socket once the peer answers or `closeTimeoutMilliseconds` pass. Before the upgrade it
    /// just drops the connection.
    package func close() {
        switch phase {
        case .tlsHandshake, .readingRequest:
            end(.closedByServer)
        case .open:
            try? connection.close(code: nil)
            phase = .closing
            endReason = .closedByServer
            startCloseTimer()
            queueConnectionOutput()
        case .responding, .closing, .draining, .ended:
            return
        }
    }

    /// Closes without waiting for the peer's word (a server shutting down, a session it dropped): a Close after
    /// the frames already queued, and from now on nothing the peer sends is acted on. Its input is still read and
    /// discarded, so that closing does not reset the connection and lose our last frames; the socket closes once
    /// the peer closes too or, after our output is written, `lingerMilliseconds` pass.
    package func finish() {
        switch phase {
        case .tlsHandshake, .readingRequest:
            end(.closedByServer)
        case .open, .closing:
            if phase == .open { try? connection.close(code: nil) }
            phase = .draining
            if endReason == nil { endReason = .closedByServer }
            startCloseTimer()
            queueConnectionOutput()
        case .responding, .draining, .ended:
            return
        }
    }

    /// Drops the connection now, without a Close; queued frames are lost.
    package func abort(_ reason: String) {
        end(.aborted(reason))
    }

    /// Writes what is queued now rather than at the start of the next loop turn, so that a caller bounding the
    /// queue in messages counts only what the socket has not taken, even when one turn queues thousands.
    package func flushNow() {
        flush()
    }

    /// A peer that does not read what it causes us to write (pongs to a ping flood, echoes) is not read
    /// either until its queue drains, so it cannot make us buffer without bound.
    private var isOutboundFull: Bool {
        outbound.byteCount >= server.configuration.maximumOutboundBytes
            || outbound.unmarkedByteCount >= server.configuration.maximumOutboundControlBytes
    }

    /// The handler cannot take more messages for now (a queue of its own is full): those already read wait, and
    /// nothing more is read from the socket, until ``resumeDelivery()``. Call it from the handler's
    /// `didReceiveBinary`; the message being handed over is taken.
    package func pauseDelivery() {
        isDeliveryPaused = true
    }

    /// Hands over the messages that waited since ``pauseDelivery()``, at the next loop turn, and reads again.
    package func resumeDelivery() {
        guard isDeliveryPaused else { return }
        isDeliveryPaused = false
        loop.runSoon { [weak self] in
            guard let self, phase != .ended, !isDeliveryPaused, !isDeliveryDeferred else { return }
            deliverEvents()
            if !isDeliveryDeferred && !isDeliveryPaused { readSome() }
        }
    }

    private func fits(_ size: Int) -> Bool {
        outbound.byteCount + size <= server.configuration.maximumOutboundBytes
    }

    /// Queues what the WebSocket layer has produced (a message when `messageSize` is given) and flushes soon.
    private func queueConnectionOutput(messageSize: Int? = nil) {
        guard connection.hasPendingOutput else { return }
        outbound.append(connection.takeOutput(), messageSize: messageSize)
        scheduleFlush()
    }

    /// Moves control frames the WebSocket layer queued (pongs, a Close) ahead of a message about to be sent.
    private func moveConnectionOutput() {
        if connection.hasPendingOutput { outbound.append(connection.takeOutput()) }
    }

    private func scheduleFlush() {
        guard !isFlushScheduled else { return }
        isFlushScheduled = true
        loop.runSoon { [self] in
            isFlushScheduled = false
            flush()
        }
    }

    // MARK: Events

    func startUpgradeDeadline(milliseconds: Int) {
        upgradeTimer = loop.schedule(afterMilliseconds: milliseconds) { [weak self] in
            self?.upgradeTimer = nil
            self?.end(.upgradeTimedOut)
        }
    }

    private func startCloseTimer(milliseconds: Int? = nil) {
        guard closeTimer == nil else { return }
        let timeout = milliseconds ?? server.configuration.closeTimeoutMilliseconds
        closeTimer = loop.schedule(afterMilliseconds: timeout) { [weak self] in
            guard let self else { return }
            closeTimer = nil
            end(endReason ?? .closedByServer)
        }
    }

    package func handle(_ events: IOEvents, on loop: EventLoop) {
        if events.isWritable { flush() }
        // The TLS handshake may wait for writability; readSome advances it either way.
        if events.isReadable || phase == .tlsHandshake { readSome() }
    }

    private func readSome() {
        do {
            if phase == .tlsHandshake {
                if let interest = try stream.advanceHandshake() {
                    loop.setInterest(interest, for: stream.fileDescriptor)
                    return
                }
                phase = .readingRequest
                loop.setInterest(.readable, for: stream.fileDescriptor)
            }
            // A bounded amount per turn so that one busy peer cannot starve the others.
            for _ in 0..<4 {
                guard phase != .ended else { return }
                guard !isOutboundFull, !isDeliveryDeferred, !isDeliveryPaused else { break }
                readWantsWrite = false
                // A pong is never longer than the masked ping it answers, so reading no more than the room left
                // for control frames keeps them within their bound rather than one read past it.
                let room = server.configuration.maximumOutboundControlBytes - outbound.unmarkedByteCount
                let buffer = UnsafeMutableRawBufferPointer(rebasing: server.readBuffer.prefix(room))
                switch try stream.read(into: buffer) {
                case .transferred(let count):
                    process(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
                case .wouldBlock(let interest):
                    readWantsWrite = interest == .writable
                    flush()
                    return
                case .endOfStream:
                    if phase == .open || phase == .readingRequest {
                        end(.peerVanished)
                    } else {
                        // A half-closed peer may still read: hand the kernel what is left, then go.
                        _ = try? outbound.flush(to: stream)
                        end(endReason ?? .peerVanished)
                    }
                    return
                }
            }
            flush()
            if stream.hasBufferedInput && phase != .ended && !isOutboundFull {
                loop.runSoon { [weak self] in self?.readSome() }
            }
        } catch {
            if phase == .tlsHandshake || phase == .readingRequest { server.log("\(label): \(error.message)") }
            end(.transportFailure(error))
        }
    }

    private func process(_ bytes: UnsafeRawBufferPointer) {
        switch phase {
        case .readingRequest:
            readRequest(bytes)
        case .open, .closing:
            connection.receive(bytes)
            deliverEvents()
        case .tlsHandshake, .responding, .draining, .ended:
            return
        }
    }

    private func readRequest(_ bytes: UnsafeRawBufferPointer) {
        let request: HTTPRequest
        do {
            guard let complete = try requestParser.receive(bytes) else { return }
            request = complete
        } catch {
            server.log("\(label): refused: \(error.responseStatus.code) (\(error))")
            respond(HTTPResponse.refusal(for: error))
            return
        }
        switch server.route(request) {
        case .respond(let response, let summary):
            server.log("\(label): \(request.method) \(request.path) → \(summary)")
            respond(response)
        case .upgrade(let key):
            if let upgradeTimer { loop.cancel(upgradeTimer) }
            upgradeTimer = nil
            outbound.append(HTTPResponse.switchingProtocols(key: key, serverID: server.configuration.serverID))
            phase = .open
            wasUpgraded = true
            server.onUpgrade(self)
            let leftover = requestParser.leftover
            if !leftover.isEmpty && phase == .open {
                connection.receive(leftover)
                deliverEvents()
            }
            scheduleFlush()
        }
    }

    private func respond(_ response: [UInt8]) {
        if let upgradeTimer { loop.cancel(upgradeTimer) }
        upgradeTimer = nil
        outbound.append(response)
        phase = .responding
        startCloseTimer()
        flush()
    }

    /// Hands each complete event to the handler, queuing what it sends before taking the next event, so
    /// replies precede a Close that a later violation in the same read causes. The messages past the turn's
    /// budget (in count and in time) wait for the next turn.
    private func deliverEvents() {
        var budget = server.configuration.maximumMessagesPerTurn
        let sliceEnd = MonotonicInstant.after(milliseconds: server.configuration.maximumMillisecondsPerTurn)
        while phase != .ended, budget > 0, !isDeliveryPaused, let event = connection.nextEvent() {
            switch event {
            case .binary(let message):
                budget -= 1
                handler?.connection(self, didReceiveBinary: message)
                if sliceEnd.hasPassed { budget = 0 }
            case .text(let message):
                budget -= 1
                handler?.connection(self, didReceiveText: message)
                if sliceEnd.hasPassed { budget = 0 }
            case .pong:
                break
            case .closed(let code, _):
                if endReason == nil { endReason = .closedByPeer(code) }
                phase = .draining
                startCloseTimer()
            case .failed(let error):
                endReason = .protocolViolation(error)
                phase = .draining
                startCloseTimer()
            }
            moveConnectionOutput()
        }
        // Pongs to pings are not events: collect them too.
        moveConnectionOutput()
        if budget == 0 && phase != .ended && !isDeliveryDeferred {
            isDeliveryDeferred = true
            loop.runSoon { [weak self] in
                guard let self, phase != .ended else { return }
                isDeliveryDeferred = false
                deliverEvents()
                // Reading resumes (and writes what the messages caused) once the backlog is handed over.
                if !isDeliveryDeferred { readSome() }
            }
        }
    }

    private func flush() {
        guard phase != .ended else { return }
        do {
            if phase == .tlsHandshake { return }
            let wants = try outbound.flush(to: stream)
            let written = outbound.takeWrittenMessages()
            if written.count > 0 { handler?.connection(self, didWriteMessages: written.count, bytes: written.bytes) }
            guard phase != .ended else { return }
            if wants == nil && (phase == .responding || phase == .draining) && !isOutputShut {
                // Everything is said: half-close so the peer sees the end, and read until it closes too
                // (closing with unread input would reset the connection and could lose our last bytes), but
                // only briefly: a peer that never closes must not hold the socket for the whole close timeout.
                isOutputShut = true
                stream.shutdownOutput()
                if let closeTimer { loop.cancel(closeTimer) }
                closeTimer = nil
                startCloseTimer(milliseconds: server.configuration.lingerMilliseconds)
            }
            var interest: IOInterest = wants == nil && !readWantsWrite ? [] : .writable
            // Not readable while delivery is paused either, or a level-triggered loop would spin on input nobody
            // takes.
            if !isOutboundFull && !isDeliveryPaused {
                interest.insert(.readable)
                // Input TLS decrypted before reading paused is invisible to epoll.
                if isReadingPaused && stream.hasBufferedInput { loop.runSoon { [weak self] in self?.readSome() } }
                isReadingPaused = false
            } else {
                isReadingPaused = true
            }
            loop.setInterest(interest, for: stream.fileDescriptor)
        } catch {
            end(endReason ?? .transportFailure(error))
        }
    }

    private func end(_ reason: EndReason) {
        guard phase != .ended else { return }
        phase = .ended
        if let upgradeTimer { loop.cancel(upgradeTimer) }
        if let closeTimer { loop.cancel(closeTimer) }
        upgradeTimer = nil
        closeTimer = nil
        loop.unregister(stream.fileDescriptor)
        server.connectionDidEnd(self)
        stream.close()
        outbound = OutboundQueue()
        if wasUpgraded { handler?.connectionDidEnd(self, reason: reason) }
        handler = nil
    }
}
