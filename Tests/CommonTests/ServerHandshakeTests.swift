import Testing
@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

@Suite struct ServerHandshakeTests {
    private func refusal(_ harness: ServerHarness, _ id: ConnectionID, after frame: ProtocolMessage)
        -> ProtocolMessage? {
        let actions = harness.receive(frame, on: id)
        #expect(closed(in: actions) == [id])
        let out = messages(in: actions, to: id)
        #expect(out.count == 1)
        return out.first
    }

    @Test func theSpecTestIdentitySignatureVerifies() {
        let publicKey = hexBytes("03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8")
        let nonce = hexBytes("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f")
        let signature = hexBytes("46fc09cc6f1d97d241e1b7a6fd1e46f788e6841d25eabbf3b5a9a44590086187"
            + "e42bedd04abff976d21e0387600b49f2552012e4a9bc4b15966a82b444db3001")
        #expect(TestIdentity.vector.publicKey == publicKey)
        #expect(TestIdentity.vector.sign(nonce) == signature)
        #expect(ServerCore.checkSignature(pubkey: publicKey, signature: signature, over: nonce) == nil)
        var tampered = nonce
        tampered[0] ^= 1
        #expect(ServerCore.checkSignature(pubkey: publicKey, signature: signature, over: tampered)
            == .unauthorized("signature verification failed"))
    }

    @Test func enrolledMachineGetsEstablishedThenServerInfo() {
        let harness = ServerHarness()
        harness.register("aaron", machine: "workstation", handle: "first", identity: .vector)
        let id = harness.open()
        let nonce = harness.hello("razel", on: id)
        #expect(nonce.count == 32)
        let actions = harness.receive(.auth(pubkey: TestIdentity.vector.publicKey,
                                            signature: TestIdentity.vector.sign(nonce)), on: id)
        let path = SessionPath(user: "aaron", machine: "workstation", session: "razel")
        #expect(messages(in: actions, to: id) == [.established(path: path), .serverInfo(admin: false)])
        #expect(closed(in: actions).isEmpty)
        #expect(harness.core.metrics.liveSessions == 2)
    }

    @Test func firstFrameMustBeHello() {
        let harness = ServerHarness()
        let id = harness.open()
        #expect(refusal(harness, id, after: .ping) == .error(.malformedFrame("expected Hello")))
        #expect(harness.core.metrics.handshakesInProgress == 0)
    }

    @Test func versionMustMatchExactly() {
        let harness = ServerHarness()
        let id = harness.open()
        #expect(refusal(harness, id, after: .hello(protocolVersion: 2, session: "x"))
            == .error(.versionMismatch(ours: 1, theirs: 2)))
    }

    @Test func afterTheChallengeOnlyAuthOrRegister() {
        let harness = ServerHarness()
        let id = harness.open()
        _ = harness.hello("main", on: id)
        #expect(refusal(harness, id, after: .hello(protocolVersion: 1, session: "main"))
            == .error(.malformedFrame("expected Register or Auth")))
    }

    @Test func keyAndSignatureLengthsThenVerification() {
        let harness = ServerHarness()
        let identity = TestIdentity.vector
        var id = harness.open()
        var nonce = harness.hello("main", on: id)
        #expect(refusal(harness, id, after: .auth(pubkey: Array(identity.publicKey.prefix(31)), signature: [1]))
            == .error(.malformedFrame("malformed key or signature: public key must be 32 bytes")))
        id = harness.open()
        nonce = harness.hello("main", on: id)
        let shortSignature = Array(identity.sign(nonce).prefix(63))
        #expect(refusal(harness, id, after: .auth(pubkey: identity.publicKey, signature: shortSignature))
            == .error(.malformedFrame("malformed key or signature: signature must be 64 bytes")))
        id = harness.open()
        nonce = harness.hello("main", on: id)
        #expect(refusal(harness, id, after: .auth(pubkey: identity.publicKey, signature: identity.sign([0] + nonce)))
            == .error(.unauthorized("signature verification failed")))
    }

    @Test func unknownKeyIsRefusedBeforeTheHandleIsChecked() {
        let harness = ServerHarness()
        let id = harness.open()
        let nonce = harness.hello("bad/handle", on: id)
        let identity = TestIdentity(42)
        #expect(refusal(harness, id, after: .auth(pubkey: identity.publicKey, signature: identity.sign(nonce)))
            == .error(.unauthorized("unknown machine key")))
    }

    @Test(arguments: ["", "a/b"])
    func invalidHandleIsRefusedAfterAuthentication(handle: String) {
        let harness = ServerHarness()
        let client = harness.register("aaron")
        let id = harness.open()
        let nonce = harness.hello(handle, on: id)
        #expect(refusal(harness, id, after: .auth(pubkey: client.identity.publicKey,
                                                  signature: client.identity.sign(nonce)))
            == .error(.malformedFrame("invalid session handle: `\(handle)`")))
    }

    @Test func removedMachineKeyIsUnknown() {
        let harness = ServerHarness()
        let client = harness.register("aaron")
        _ = harness.request(.admin(.machineAdd(name: "spare", pubkey: TestIdentity(9).publicKey)), on: client)
        _ = harness.request(.admin(.machineRemove(name: "spare")), on: client)
        let (refused, actions) = harness.login(TestIdentity(9), handle: "main")
        #expect(messages(in: actions, to: refused.id) == [.error(.unauthorized("unknown machine key"))])
    }

    @Test func peerClosingDuringTheHandshakeRecordsNothing() {
        let harness = ServerHarness()
        let id = harness.open()
        _ = harness.hello("main", on: id)
        harness.receive(.register(username: "aaron", machine: "m", pubkey: TestIdentity(1).publicKey), on: id)
        #expect(harness.core.connectionClosed(id).isEmpty)
        #expect(harness.store.allUsers().isEmpty)
        #expect(harness.core.metrics.handshakesInProgress == 0)
        #expect(harness.receive(.ping, on: id).isEmpty)
    }

    @Test func undecodableFrameClosesWithoutAnError() {
        let harness = ServerHarness()
        let client = harness.register("aaron")
        #expect(harness.core.receivedUndecodable(on: client.id) == [.close(client.id)])
        #expect(harness.core.metrics.liveSessions == 0)
    }

    // MARK: Registration (§5.4)

    @Test func registrationStoresUserAndMachineAndEstablishes() {
        let harness = ServerHarness()
        let id = harness.open()
        let nonce = harness.hello("razel", on: id)
        let key = TestIdentity.vector
        #expect(harness.receive(.register(username: "aaron", machine: "workstation", pubkey: key.publicKey), on: id)
            .isEmpty)
        let actions = harness.receive(.auth(pubkey: key.publicKey, signature: key.sign(nonce)), on: id)
        let path = SessionPath(user: "aaron", machine: "workstation", session: "razel")
        #expect(messages(in: actions, to: id) == [.established(path: path), .serverInfo(admin: false)])
        #expect(harness.store.machineRecords(of: "aaron") == [MachineRecord(
            username: "aaron", name: "workstation", publicKey: "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg",
            addedAtMs: harness.clock.wallMs)])
    }

    private func registration(_ harness: ServerHarness, user: String, machine: String = "m", handle: String = "h",
                              registered: TestIdentity = TestIdentity(1), signer: TestIdentity? = nil,
                              signWrong: Bool = false) -> ProtocolMessage? {
        let id = harness.open()
        let nonce = harness.hello(handle, on: id)
        harness.receive(.register(username: user, machine: machine, pubkey: registered.publicKey), on: id)
        let signer = signer ?? registered
        let signature = signer.sign(signWrong ? nonce + [0] : nonce)
        return messages(in: harness.receive(.auth(pubkey: signer.publicKey, signature: signature), on: id), to: id)
            .first
    }

    @Test func registerMustBeFollowedByAuth() {
        let harness = ServerHarness()
        let id = harness.open()
        _ = harness.hello("h", on: id)
        harness.receive(.register(username: "u", machine: "m", pubkey: TestIdentity(1).publicKey), on: id)
        #expect(refusal(harness, id, after: .register(username: "u", machine: "m", pubkey: TestIdentity(1).publicKey))
            == .error(.malformedFrame("expected Auth after Register")))
    }

    @Test func authKeyMustMatchRegisteredKeyBeforeAnythingElse() {
        let harness = ServerHarness()
        #expect(registration(harness, user: "", signer: TestIdentity(2), signWrong: true)
            == .error(.unauthorized("auth key does not match the registered key")))
    }

    @Test func signatureIsCheckedBeforeNames() {
        let harness = ServerHarness()
        #expect(registration(harness, user: "", signWrong: true)
            == .error(.unauthorized("signature verification failed")))
        #expect(harness.store.allUsers().isEmpty)
    }

    @Test func usernameThenMachineNameAreValidated() {
        let harness = ServerHarness()
        #expect(registration(harness, user: "a/b", machine: "") == .error(.malformedFrame("invalid username: `a/b`")))
        #expect(registration(harness, user: "", machine: "") == .error(.malformedFrame("invalid username: ``")))
        #expect(registration(harness, user: "ok", machine: "x/y")
            == .error(.malformedFrame("invalid machine name: `x/y`")))
        #expect(harness.store.allUsers().isEmpty)
    }

    @Test func pinnedAdminNameNeedsItsKey() {
        let pinned = TestIdentity(5)
        let harness = ServerHarness(admins: ["root": pinned.text])
        #expect(registration(harness, user: "root", registered: TestIdentity(6))
            == .error(.unauthorized("username `root` is reserved for a different key")))
        #expect(harness.store.allUsers().isEmpty)
        let id = harness.open()
        let nonce = harness.hello("h", on: id)
        harness.receive(.register(username: "root", machine: "m", pubkey: pinned.publicKey), on: id)
        let out = messages(in: harness.receive(.auth(pubkey: pinned.publicKey, signature: pinned.sign(nonce)), on: id),
                           to: id)
        #expect(out == [.established(path: SessionPath(user: "root", machine: "m", session: "h")),
                        .serverInfo(admin: true)])
    }

    @Test func unpinnedAdminNameGoesToTheFirstRegistrant() {
        let harness = ServerHarness(admins: ["root": nil])
        let client = harness.register("root")
        #expect(harness.request(.listUsers, on: client) == [.userList(users: ["root"])])
    }

    @Test func reservedIsCheckedBeforeTaken() {
        let harness = ServerHarness(admins: ["root": TestIdentity(5).text])
        try? harness.store.base.registerUser("root", machine: "m", publicKey: TestIdentity(99).text, at: 0)
        #expect(registration(harness, user: "root", registered: TestIdentity(6))
            == .error(.unauthorized("username `root` is reserved for a different key")))
    }

    @Test func takenUsernameIsRefused() {
        let harness = ServerHarness()
        harness.register("aaron")
        #expect(registration(harness, user: "aaron", registered: TestIdentity(77))
            == .error(.unauthorized("username `aaron` is already taken")))
    }

    @Test func enrolledKeyCannotRegisterAgain() {
        let harness = ServerHarness()
        let first = harness.register("aaron")
        #expect(registration(harness, user: "bob", registered: first.identity)
            == .error(.malformedFrame("malformed key or signature: public key is already enrolled")))
        #expect(harness.store.allUsers() == ["aaron"])
    }

    @Test func badHandleIsRefusedBeforeAnythingIsStored() {
        let harness = ServerHarness()
        #expect(registration(harness, user: "aaron", handle: "a/b")
            == .error(.malformedFrame("invalid session handle: `a/b`")))
        #expect(harness.store.allUsers().isEmpty)
            }

    @Test func storeFailureDuringRegistrationIsInternal() {
        let harness = ServerHarness()
        harness.store.failing = StoreError(.engine, "disk I/O error")
        #expect(registration(harness, user: "aaron") == .error(.internal("disk I/O error")))
    }

    // MARK: Supersede (§5.6) and the deadline

    @Test func newerConnectionOnTheSamePathWins() {
        let harness = ServerHarness()
        let old = harness.register("aaron", handle: "main")
        _ = harness.request(.admin(.createChannel(name: "ops", visibility: .public)), on: old)
        _ = harness.request(.join(channel: "ops", token: nil), on: old)
        let (new, actions) = harness.login(old.identity, handle: "main")
        #expect(deliveries(in: actions).map(\.0) == [old.id, new.id, new.id])
        #expect(messages(in: actions, to: old.id) == [
            .error(.unauthorized("session superseded by a newer connection for the same session path"))])
        #expect(closed(in: actions) == [old.id])
        #expect(messages(in: actions, to: new.id) == [.established(path: old.path), .serverInfo(admin: false)])
        #expect(harness.reply(.who(channel: nil), on: new) == .presence(channel: nil, sessions: [old.path]))
        #expect(harness.reply(.who(channel: "ops"), on: new) == .presence(channel: "ops", sessions: []))
        #expect(harness.receive(.ping, on: old.id).isEmpty)
        #expect(harness.core.metrics.drops[.superseded] == 1)
    }

    @Test func handshakeDeadlineRunsFromAccept() {
        let harness = ServerHarness()
        let id = harness.open()
        harness.clock.advance(byMs: 9_000)
        _ = harness.hello("main", on: id)
        harness.clock.advance(byMs: 999)
        #expect(harness.tick().isEmpty)
        #expect(harness.core.nextDeadlineMs == harness.clock.monotonicMs + 1)
        harness.clock.advance(byMs: 1)
        let actions = harness.tick()
        #expect(messages(in: actions, to: id) == [.error(.unauthorized("handshake timed out"))])
        #expect(closed(in: actions) == [id])
    }

    @Test func establishedSessionsHaveNoHandshakeDeadline() {
        let harness = ServerHarness()
        let client = harness.register("aaron")
        harness.clock.advance(byMs: 10_000)
        #expect(harness.tick().isEmpty)
        #expect(harness.reply(.ping, on: client) == .pong)
    }
}
