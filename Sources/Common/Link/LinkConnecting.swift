import ConclaveTransport
import ConclaveWire

/// Dialling, retrying and ending (PROTOCOL.md §7.3 steps 1 and 6, §7.4, §7.5).
extension Link {
    /// The handle the next `hello` carries.
    var currentHandle: String {
        switch configuration.handle {
        case .explicit(let handle): handle
        case .defaulted(let base): HandleGenerations.handle(base: base, generation: dialedGeneration)
        }
    }

    func dial() {
        guard phase == .idle || phase == .waitingToRetry else { return }
        phase = .dialing
        if case .defaulted(let base) = configuration.handle {
            dialedGeneration = HandleGenerations.current(base: base)
        }
        if configuration.url.isSecure && tlsContext == nil {
            do {
                tlsContext = try TLSClientContext()
            } catch {
                attemptFailed(error.message)
                return
            }
        }
        let dialer = WebSocketLoopDialer(
            url: configuration.url, tls: tlsContext, loop: loop,
            timeoutMilliseconds: configuration.timing.dialTimeoutMs
        ) { [weak self] result in
            self?.dialFinished(result)
        }
        self.dialer = dialer
        dialer.start()
    }

    private func dialFinished(_ result: Result<WebSocketClient, TransportError>) {
        guard phase == .dialing else { return }
        dialer = nil
        switch result {
        case .failure(let error):
            attemptFailed(error.message)
        case .success(let client):
            startHandshake(client)
        }
    }

    private func startHandshake(_ client: WebSocketClient) {
        serverID = client.serverID
        if let serverID, case .heldBy(let other) = SameServerRegistry.claim(serverID, for: configuration.urlText) {
            end(.sameServer, "\(configuration.urlText) reaches the same server as \(other), which this process "
                + "already uses; use \(other)")
            return
        }
        let connection = LinkConnection(client: client, loop: loop)
        do {
            try connection.attach { [weak self, weak connection] event in
                guard let self, let connection, connection === self.connection else { return }
                self.connectionEvent(event)
            }
        } catch {
            attemptFailed(error.message)
            return
        }
        self.connection = connection
        phase = .handshaking
        handshakeStep = .awaitingChallenge
        earlyDeliveries = []
        let timeout = configuration.timing.handshakeTimeoutMs
        handshakeTimer = loop.schedule(afterMilliseconds: timeout) { [weak self] in
            guard let self else { return }
            self.handshakeTimer = nil
            self.attemptFailed("the handshake with \(self.configuration.urlText) timed out after \(timeout) ms")
        }
        write(.hello(protocolVersion: ProtocolMessage.protocolVersion, session: currentHandle))
    }

    private func connectionEvent(_ event: LinkConnection.Event) {
        switch event {
        case .message(let bytes):
            switch phase {
            case .handshaking: handshakeMessage(bytes)
            case .connected: sessionMessage(bytes)
            default: break
            }
        case .ended(let reason):
            connectionEnded(reason)
        }
    }

    /// The current connection is gone (read or write failure, close, dead keepalive).
    func connectionEnded(_ reason: String) {
        switch phase {
        case .handshaking: attemptFailed(lastErrorText ?? reason)
        case .connected: linkDropped(lastErrorText ?? reason)
        case .closing: finishShutdown()
        default: teardownConnection(politely: false)
        }
    }

    /// Writes `frame` on the current connection. A frame too large to send is thrown back; any other
    /// failure means the connection is broken, and it is dropped on the next turn.
    func write(_ frame: ProtocolMessage) {
        try? writeReportingSize(frame)
    }

    /// As `write`, but throws when `frame` is over the message size limit (it was not sent).
    func writeReportingSize(_ frame: ProtocolMessage) throws(TransportError) {
        guard let current = connection else { return }
        do {
            try current.send(frame)
        } catch {
            if error.code == .tooLarge { throw error }
            loop.runSoon { [weak self, weak current] in
                guard let self, let current, current === self.connection else { return }
                self.connectionEnded(error.message)
            }
        }
    }

    /// A dial or handshake failed: retry after the next backoff delay, or end when no retry is allowed.
    func attemptFailed(_ reason: String) {
        guard phase == .dialing || phase == .handshaking else { return }
        teardownConnection(politely: false)
        dialer = nil
        lastErrorText = nil
        failedDials += 1
        let exhausted = configuration.retryLimit.map { failedDials >= $0 } ?? false
        if !configuration.reconnects || exhausted {
            let attempts = failedDials == 1 ? "" : " (\(failedDials) attempts in a row)"
            end(everUp ? .lost : .unreachable, "cannot reach \(configuration.urlText)\(attempts): \(reason)")
            return
        }
        if reason != lastAttemptFailure { emit(.warning(reason)) }
        lastAttemptFailure = reason
        scheduleRetry()
    }

    /// Waits the next backoff delay, then dials.
    func scheduleRetry() {
        guard phase != .ended && phase != .closing else { return }
        retryAttempt += 1
        let delay = backoff.nextDelay()
        phase = .waitingToRetry
        retryTimer = loop.schedule(afterMilliseconds: delay) { [weak self] in
            self?.retryTimer = nil
            self?.dial()
        }
        emit(.retry(attempt: retryAttempt, delayMs: delay))
    }

    /// Ends the link for good: outstanding requests fail, then `.ended`.
    func end(_ code: LinkEnd.Code, _ message: String) {
        guard phase != .ended else { return }
        dialer?.cancel()
        dialer = nil
        cancel(&retryTimer)
        cancel(&closeTimer)
        teardownConnection(politely: true)
        phase = .ended
        path = nil
        failEverything(because: message)
        // After the failed replies, which go out on the next turn.
        emitSoon(.ended(LinkEnd(code, message)))
    }
}
