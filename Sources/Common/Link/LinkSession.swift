import ConclavePOSIX
import ConclaveWire

/// An established session: requests and their replies (PROTOCOL.md §7.2), keepalive, and drops (§7.3–7.6).
extension Link {
    func sessionMessage(_ bytes: [UInt8]) {
        let frame: ProtocolMessage
        do {
            frame = try ProtocolMessage(decoding: bytes)
        } catch {
            // The reply FIFO can no longer be trusted: start over on a new connection.
            linkDropped("\(configuration.urlText) sent an undecodable frame: \(error)", politely: true)
            return
        }
        cancel(&pongDeadline)
        if case .error(let error) = frame {
            lastErrorText = error.displayText
        } else {
            lastErrorText = nil
        }
        if awaitingUpReport {
            switch frame {
            case .serverInfo(let admin):
                reportUp(admin: admin)
                return
            case .channelMsg, .whisper:
                earlyDeliveries.append(frame)
                return
            default:
                // A server without `server_info`: this is the first reply (at the latest the first pong).
                reportUp(admin: nil)
                guard phase == .connected else { return }
            }
        }
        switch fifo.receive(frame) {
        case .pong:
            guard !pingMarks.isEmpty else { return }
            guard fifo.hasCompleted(upTo: pingMarks.removeFirst()) else {
                linkDropped("\(configuration.urlText) answered a ping before an earlier request: a reply was lost, so "
                    + "the replies can no longer be matched", politely: true)
                return
            }
        case .serverInfo, .unsolicitedError:
            // An unsolicited error is a forced drop's reason: the close follows and reports it.
            break
        case .delivery:
            emit(.delivery(frame))
        case .unexpected:
            linkDropped("\(configuration.urlText) sent `\(frame.typeName)` with no request outstanding", politely: true)
        case .reply(let entry):
            handleReply(frame, to: entry)
        }
    }

    private func handleReply(_ frame: ProtocolMessage, to entry: Outstanding) {
        switch entry {
        case .rejoin(let channel):
            if case .error(let error) = frame {
                joinedChannels.remove(channel)
                emit(.rejoinFailed(channel: channel, error: error))
            }
        case .historyCheck:
            continueCheck(with: frame)
        case .request(let request):
            switch (request.frame, frame) {
            case (.join(let channel, _), .joined):
                joinedChannels.insert(channel)
            case (.leave(let channel), _):
                // A join answered after this leave was submitted must not bring the channel back.
                joinedChannels.remove(channel)
            case (.channelMsg(let channel, _, _), .ack):
                claims.acknowledged(request.tag, channel: channel)
            case (.channelMsg(let channel, _, _), _):
                claims.refused(request.tag, channel: channel)
            default:
                break
            }
            emit(.reply(request.tag, .frame(frame)))
        }
    }

    // MARK: Requests

    /// Writes `request` and puts it in the FIFO; posts and whispers carry the link's path as `from`.
    func writeRequest(_ request: PendingRequest) {
        var request = request
        request.needsCheck = false
        if let path {
            switch request.frame {
            case let .channelMsg(channel, _, payload):
                request.frame = .channelMsg(channel: channel, from: path, payload: payload)
                request.sentAs = path
                request.sentWallMs = WallClock.nowMilliseconds()
            case let .whisper(_, target, payload):
                request.frame = .whisper(from: path, target: target, payload: payload)
            default:
                break
            }
        }
        do {
            try writeReportingSize(request.frame)
        } catch {
            emitSoon(.reply(request.tag, .failed("not sent: \(error.message)")))
            return
        }
        if case let .channelMsg(channel, from, payload) = request.frame {
            claims.sent(
                request.tag, channel: channel, key: PostReconciliation.Key(from: from, payload: payload),
                wallMs: request.sentWallMs)
        }
        fifo.append(.request(request))
    }

    /// Writes waiting requests in order until one needs a history check first.
    func pumpQueue() {
        var written = 0
        while written < queue.count, phase == .connected, check == nil {
            if queue[written].needsCheck {
                queue.removeFirst(written)
                startCheck()
                return
            }
            writeRequest(queue[written])
            written += 1
        }
        queue.removeFirst(min(written, queue.count))
    }

    // MARK: Keepalive

    func schedulePing() {
        pingTimer = loop.schedule(afterMilliseconds: configuration.timing.pingIntervalMs) { [weak self] in
            guard let self, self.phase == .connected else { return }
            self.pingTimer = nil
            // A ping still unanswered keeps its deadline; pings never pile up.
            if self.pongDeadline == nil { self.sendPing() }
            self.pruneClaims()
            self.schedulePing()
        }
    }

    func sendPing() {
        write(.ping)
        pingMarks.append(fifo.appendedCount)
        guard pongDeadline == nil else { return }
        let timeout = configuration.timing.pongTimeoutMs
        pongDeadline = loop.schedule(afterMilliseconds: timeout) { [weak self] in
            guard let self, self.phase == .connected else { return }
            self.pongDeadline = nil
            self.linkDropped("no frame from \(self.configuration.urlText) within \(timeout) ms of a ping; "
                + "the connection is dead", politely: false)
        }
    }

    // MARK: Drops

    /// The up link is gone: report it, sort the outstanding requests, then reconnect or end.
    func linkDropped(_ reason: String, politely: Bool = false) {
        guard phase == .connected else { return }
        teardownConnection(politely: politely)
        let upMilliseconds = upSince.map { Self.milliseconds(since: $0) } ?? 0
        upSince = nil
        lastErrorText = nil
        if awaitingUpReport { reportUp(admin: nil) }
        path = nil
        phase = .waitingToRetry
        emit(.down(reason: reason))
        requeueAfterDrop()
        claims.connectionLost()
        backoff.linkWentDown(afterMilliseconds: upMilliseconds)
        applyFlapBreaker(upMilliseconds: upMilliseconds)
        guard phase == .waitingToRetry else { return }
        guard configuration.reconnects else {
            end(.lost, "the link to \(configuration.urlText) was lost: \(reason)")
            return
        }
        scheduleRetry()
    }

    /// Requests written on the lost connection go back to the front of the queue (re-sent or checked
    /// against history), or fail.
    private func requeueAfterDrop() {
        var requeued: [PendingRequest] = []
        var failures: [(RequestTag, String)] = []
        for entry in fifo.removeAll() {
            guard case .request(var request) = entry else { continue }
            switch RequestRetryPolicy(for: request.frame) {
            case .resend:
                requeued.append(request)
            case .reconcile:
                request.needsCheck = true
                requeued.append(request)
            case .failUnverifiable:
                failures.append((request.tag, RequestRetryPolicy.whisperLostText))
            case .fail:
                failures.append((request.tag, RequestRetryPolicy.connectionLostText))
            }
        }
        if let check {
            requeued += check.posts
            self.check = nil
        }
        queue = requeued + queue
        for (tag, text) in failures {
            emit(.reply(tag, .failed(text)))
        }
    }

    /// The flapping breaker of §7.6, after a link that was up for `upMilliseconds`.
    private func applyFlapBreaker(upMilliseconds: Int) {
        switch configuration.handle {
        case .defaulted(let base):
            guard breaker.linkWentDown(afterMilliseconds: upMilliseconds, staysQuietAfterTrip: false) == .tripped
            else { return }
            let old = HandleGenerations.handle(base: base, generation: dialedGeneration)
            // Nil when another link of this process renamed first: nothing to announce.
            guard let next = HandleGenerations.advance(base: base, from: dialedGeneration) else { return }
            let new = HandleGenerations.handle(base: base, generation: next)
            emit(.warning("another live session holds `\(old)`; reconnecting as `\(new)`"))
        case .explicit(let handle):
            guard breaker.linkWentDown(afterMilliseconds: upMilliseconds, staysQuietAfterTrip: true) == .tripped
            else { return }
            emit(.warning("another live session probably uses the handle `\(handle)` on \(configuration.urlText) "
                + "and keeps superseding this one; use a different handle (--as)"))
        }
    }

    static func milliseconds(since instant: MonotonicInstant) -> Int {
        let now = MonotonicInstant.now().nanoseconds
        guard now > instant.nanoseconds else { return 0 }
        return Int(clamping: (now - instant.nanoseconds) / 1_000_000)
    }
}
