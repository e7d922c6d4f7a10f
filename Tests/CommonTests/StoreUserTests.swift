import Testing
@testable import ConclaveStore

@Suite struct StoreUserTests {
    @Test(arguments: StoreKind.allCases)
    func registersAUserWithItsFirstMachine(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            #expect(try !store.userExists("alice"))
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1_000)

            #expect(try store.userExists("alice"))
            let laptop = MachineRecord(username: "alice", name: "laptop", publicKey: testKey(1), addedAtMs: 1_000)
            #expect(try store.machine(withPublicKey: testKey(1)) == laptop)
            #expect(try store.machines(of: "alice") == [laptop])
            #expect(try store.usernames() == ["alice"])
            #expect(try store.machine(withPublicKey: testKey(2)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func refusesATakenUsername(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            expectStoreError(.constraint) {
                try store.registerUser("alice", machine: "desk", publicKey: testKey(2), at: 2)
            }
            #expect(try store.machine(withPublicKey: testKey(2)) == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func registrationWithAnEnrolledKeyLeavesNoUserBehind(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            expectStoreError(.constraint) { try store.registerUser("bob", machine: "pc", publicKey: testKey(1), at: 2) }
            #expect(try !store.userExists("bob"))
            #expect(try store.usernames() == ["alice"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func addsMachinesWithUniqueNamesPerUserAndUniqueKeys(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            try store.registerUser("bob", machine: "pc", publicKey: testKey(2), at: 1)
            try store.addMachine("desk", of: "alice", publicKey: testKey(3), at: 5)
            // The same machine name under another user is fine.
            try store.addMachine("desk", of: "bob", publicKey: testKey(4), at: 6)

            expectStoreError(.constraint) { try store.addMachine("desk", of: "alice", publicKey: testKey(5), at: 7) }
            expectStoreError(.constraint) { try store.addMachine("phone", of: "alice", publicKey: testKey(4), at: 7) }
            expectStoreError(.constraint) { try store.addMachine("phone", of: "bob", publicKey: testKey(1), at: 7) }
            expectStoreError(.constraint) { try store.addMachine("pc", of: "nobody", publicKey: testKey(9), at: 7) }

            #expect(try store.machines(of: "alice").map(\.name) == ["desk", "laptop"])
            #expect(try store.machines(of: "bob").map(\.name) == ["desk", "pc"])
            #expect(try store.machine(withPublicKey: testKey(4))?.username == "bob")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func removesAMachineAndItsKey(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            try store.addMachine("desk", of: "alice", publicKey: testKey(2), at: 2)

            let removed = try store.removeMachine("desk", of: "alice")
            #expect(removed == MachineRecord(username: "alice", name: "desk", publicKey: testKey(2), addedAtMs: 2))
            #expect(try store.machine(withPublicKey: testKey(2)) == nil)
            #expect(try store.removeMachine("desk", of: "alice") == nil)
            #expect(try store.removeMachine("laptop", of: "bob") == nil)
            #expect(try store.machines(of: "alice").map(\.name) == ["laptop"])
            // A removed key can be enrolled again.
            try store.addMachine("desk", of: "alice", publicKey: testKey(2), at: 3)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func removingAUserTakesTheirChannelsMembershipsAndMachines(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            try store.registerUser("bob", machine: "pc", publicKey: testKey(2), at: 1)
            try store.createChannel("b-alice", visibility: .private, createdBy: "alice", at: 2)
            try store.createChannel("a-alice", visibility: .public, createdBy: "alice", at: 2)
            try store.createChannel("bobs", visibility: .public, createdBy: "bob", at: 2)
            try store.addMember("bob", toChannel: "a-alice")
            try store.addMember("alice", toChannel: "bobs")
            try store.addBan("alice", onChannel: "bobs")
            try store.appendMessage(toChannel: "a-alice", from: "alice/laptop/x", payload: [1], at: 3)
            try store.appendMessage(toChannel: "bobs", from: "alice/laptop/x", payload: [2], at: 3)
            try store.createInvite(
                InviteRecord(token: "t", channel: "b-alice", usesRemaining: nil, expiresAtMs: nil, createdBy: "alice"))

            #expect(try store.removeUser("alice") == ["a-alice", "b-alice"])

            #expect(try !store.userExists("alice"))
            #expect(try store.machine(withPublicKey: testKey(1)) == nil)
            #expect(try store.machines(of: "alice").isEmpty)
            #expect(try store.channels().map(\.name) == ["bobs"])
            #expect(try store.invite(withToken: "t") == nil)
            #expect(try store.messages(inChannel: "a-alice", after: 0, limit: 10).isEmpty)
            #expect(try store.members(ofChannel: "bobs") == ["bob"])
            // What others own stays: the ban and the history in bob's channel.
            #expect(try store.isBanned("alice", fromChannel: "bobs"))
            #expect(try store.messages(inChannel: "bobs", after: 0, limit: 10).count == 1)
            #expect(try store.usernames() == ["bob"])
            // The key is free again.
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 9)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func removingAnAbsentUserIsNotAnError(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            let deleted = try store.removeUser("ghost")
            #expect(deleted.isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func oddNamesRoundTripAndStayDistinct(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            let names = ["", "a\u{0}b", "a", "a/b/c", "ünï😀", String(repeating: "x", count: 100_000)]
            for (index, name) in names.enumerated() {
                try store.registerUser(name, machine: name, publicKey: name + "key", at: Int64(index))
            }
            #expect(Set(try store.usernames()) == Set(names))
            for name in names {
                #expect(try store.userExists(name))
                #expect(try store.machine(withPublicKey: name + "key")?.name == name)
            }
            #expect(try !store.userExists("a\u{0}"))
        }
    }
}
