import ConclaveStore
import ConclaveWire

/// The handshake (PROTOCOL.md §5.3–5.6): checks in the order the spec gives, with its exact texts.
extension ServerCore {
    static let nonceLength = 32

    func handshake(_ frame: ProtocolMessage, on connection: Connection) {
        switch connection.phase {
        case .awaitingHello:
            receiveHello(frame, on: connection)
        case let .awaitingCredentials(handle, nonce):
            switch frame {
            case let .auth(pubkey, signature):
                authenticate(pubkey: pubkey, signature: signature, nonce: nonce, handle: handle, on: connection)
            case let .register(username, machine, pubkey):
                let registration = Registration(username: username, machine: machine, publicKey: pubkey)
                connection.phase = .awaitingAuthAfterRegister(handle: handle, nonce: nonce, registration: registration)
            default:
                refuseHandshake(connection, .malformedFrame("expected Register or Auth"))
            }
        case let .awaitingAuthAfterRegister(handle, nonce, registration):
            guard case let .auth(pubkey, signature) = frame else {
                return refuseHandshake(connection, .malformedFrame("expected Auth after Register"))
            }
            register(registration, pubkey: pubkey, signature: signature, nonce: nonce, handle: handle, on: connection)
        case .established:
            break  // `received` sends established sessions to dispatch.
        }
    }

    private func receiveHello(_ frame: ProtocolMessage, on connection: Connection) {
        guard case let .hello(version, handle) = frame else {
            return refuseHandshake(connection, .malformedFrame("expected Hello"))
        }
        guard version == ProtocolMessage.protocolVersion else {
            return refuseHandshake(connection, .versionMismatch(ours: ProtocolMessage.protocolVersion, theirs: version))
        }
        let nonce = random(Self.nonceLength)
        guard nonce.count == Self.nonceLength else {
            return refuseHandshake(connection, .internal("could not generate a challenge nonce"))
        }
        connection.phase = .awaitingCredentials(handle: handle, nonce: nonce)
        send(.challenge(nonce: nonce), to: connection)
    }

    /// §5.3 steps 5–8.
    private func authenticate(pubkey: [UInt8], signature: [UInt8], nonce: [UInt8], handle: String,
                              on connection: Connection) {
        if let refusal = Self.checkSignature(pubkey: pubkey, signature: signature, over: nonce) {
            return refuseHandshake(connection, refusal)
        }
        let owner: MachineRecord?
        do {
            owner = try store.machine(withPublicKey: Base64URL.encode(pubkey))
        } catch {
            return refuseHandshake(connection, .internal(error.message))
        }
        guard let owner else { return refuseHandshake(connection, .unauthorized("unknown machine key")) }
        if let refusal = Self.nameRefusal(handle, "invalid session handle") {
            return refuseHandshake(connection, refusal)
        }
        attach(connection, at: SessionPath(user: owner.username, machine: owner.name, session: handle))
    }

    /// §5.4 steps 1–9, with the handle checked before anything is stored (§5.4 Recommendation).
    private func register(_ registration: Registration, pubkey: [UInt8], signature: [UInt8], nonce: [UInt8],
                          handle: String, on connection: Connection) {
        guard pubkey == registration.publicKey else {
            return refuseHandshake(connection, .unauthorized("auth key does not match the registered key"))
        }
        if let refusal = Self.checkSignature(pubkey: pubkey, signature: signature, over: nonce) {
            return refuseHandshake(connection, refusal)
        }
        let username = registration.username
        let machine = registration.machine
        if let refusal = Self.nameRefusal(username, "invalid username")
            ?? Self.nameRefusal(machine, "invalid machine name") {
            return refuseHandshake(connection, refusal)
        }
        let key = Base64URL.encode(pubkey)
        if let pinned = admins.pinnedKey(for: username), pinned != key {
            return refuseHandshake(connection, .unauthorized("username `\(username)` is reserved for a different key"))
        }
        do {
            if try store.userExists(username) {
                return refuseHandshake(connection, .unauthorized("username `\(username)` is already taken"))
            }
            if try store.machine(withPublicKey: key) != nil {
                return refuseHandshake(
                    connection, .malformedFrame("malformed key or signature: public key is already enrolled"))
            }
            if let refusal = Self.nameRefusal(handle, "invalid session handle") {
                return refuseHandshake(connection, refusal)
            }
            try store.registerUser(username, machine: machine, publicKey: key, at: clock.wallMs())
        } catch {
            return refuseHandshake(connection, .internal(error.message))
        }
        log(.registered(connection.id, user: username, machine: machine))
        attach(connection, at: SessionPath(user: username, machine: machine, session: handle))
    }

    /// §5.3 step 5: lengths first, then the Ed25519 check over exactly the nonce bytes.
    static func checkSignature(pubkey: [UInt8], signature: [UInt8], over nonce: [UInt8]) -> ProtocolError? {
        guard let key = try? PublicKey(bytes: pubkey) else {
            return .malformedFrame("malformed key or signature: public key must be 32 bytes")
        }
        guard signature.count == SigningKey.signatureByteCount else {
            return .malformedFrame("malformed key or signature: signature must be 64 bytes")
        }
        return key.isValidSignature(signature, of: nonce) ? nil : .unauthorized("signature verification failed")
    }

    /// §5.3 step 8 with §5.5's Recommendation: superseding, attaching and queuing `established` and
    /// `server_info` happen in one step, before any other frame can reach the new session.
    private func attach(_ connection: Connection, at path: SessionPath) {
        do {
            connection.generation = try claimInCluster(path)
        } catch {
            return refuseHandshake(connection, .internal(error.message))
        }
        if let previous = sessions.session(at: path) { drop(previous, .superseded) }
        connection.phase = .established(path)
        sessions.attach(connection, at: path)
        pendingHandshakes[connection.id] = nil
        metrics.handshakesInProgress -= 1
        metrics.liveSessions += 1
        let admin = admins.contains(path.user)
        log(.established(connection.id, path: path, admin: admin))
        send(.established(path: path), to: connection)
        send(.serverInfo(admin: admin), to: connection)
    }
}
