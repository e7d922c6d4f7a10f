import ConclaveWire

/// The handshake of PROTOCOL.md §5.3–5.5 on a fresh connection.
extension Link {
    func handshakeMessage(_ bytes: [UInt8]) {
        let frame: ProtocolMessage
        do {
            frame = try ProtocolMessage(decoding: bytes)
        } catch {
            end(.protocolError, "\(configuration.urlText) sent an undecodable frame during the handshake: \(error)")
            return
        }
        switch frame {
        case .challenge(let nonce) where handshakeStep == .awaitingChallenge:
            answerChallenge(nonce)
        case .established(let path) where handshakeStep == .awaitingEstablished:
            established(path)
        case .channelMsg, .whisper:
            // A delivery can race `established` (§5.5); it is reported once the link is up.
            earlyDeliveries.append(frame)
        case .serverInfo, .pong:
            break
        case .error(let error):
            handshakeRefused(error)
        default:
            end(.protocolError, "\(configuration.urlText) sent `\(frame.typeName)` during the handshake")
        }
    }

    private func answerChallenge(_ nonce: [UInt8]) {
        let key = configuration.signingKey
        let publicKey = key.publicKey.bytes
        if let registration = configuration.registration, !hasRegistered {
            // Back to back, without waiting (§5.4).
            write(.register(username: registration.username, machine: registration.machine, pubkey: publicKey))
        }
        write(.auth(pubkey: publicKey, signature: key.signature(for: nonce)))
        handshakeStep = .awaitingEstablished
    }

    /// An `error` in place of the handshake's next step.
    private func handshakeRefused(_ error: ProtocolError) {
        let text = error.displayText
        switch error {
        case .versionMismatch:
            end(.protocolError, "\(configuration.urlText) speaks another protocol version: \(text)")
        case .unauthorized(let detail) where detail != "handshake timed out":
            end(.refused, "\(configuration.urlText) refused the session: \(text)")
        case .malformedFrame:
            // The server refused what we sent (a handle, user or machine name, a key already enrolled):
            // sending it again cannot help.
            end(.protocolError, "\(configuration.urlText) refused the handshake: \(text)")
        default:
            attemptFailed("\(configuration.urlText) refused the handshake: \(text)")
        }
    }

    /// The session exists: the link is up (reported once `server_info` or a reply arrives, see `Link`).
    private func established(_ path: SessionPath) {
        cancel(&handshakeTimer)
        if configuration.registration != nil { hasRegistered = true }
        self.path = path
        phase = .connected
        everUp = true
        upSince = .now()
        failedDials = 0
        retryAttempt = 0
        lastAttemptFailure = nil
        lastErrorText = nil
        awaitingUpReport = true
        pingMarks = []
        pruneClaims()
        // Its pong comes after `server_info` (§5.5), so it also bounds the wait for the `.up` report.
        sendPing()
        schedulePing()
        for channel in joinedChannels.sorted() {
            write(.join(channel: channel, token: nil))
            fifo.append(.rejoin(channel))
        }
        pumpQueue()
    }

    /// Reports `.up`, then the deliveries that raced the handshake.
    func reportUp(admin: Bool?) {
        awaitingUpReport = false
        guard let path else { return }
        emit(.up(path: path, serverID: serverID, admin: admin))
        let early = earlyDeliveries
        earlyDeliveries = []
        for delivery in early { emit(.delivery(delivery)) }
    }
}
