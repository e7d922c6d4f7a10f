import Testing
@testable import ConclaveStore
@testable import ConclaveWire

@Suite struct StoreChannelTests {
    /// A channel with something in every table that hangs off it.
    private func populate(_ store: any ServerStore, channel: String) throws {
        try store.createChannel(channel, visibility: .private, createdBy: "alice", at: 10)
        try store.addMember("bob", toChannel: channel)
        try store.addBan("mallory", onChannel: channel)
        try store.createInvite(
            InviteRecord(
                token: "tok-" + channel, channel: channel, usesRemaining: 3, expiresAtMs: nil, createdBy: "alice"))
        try store.appendMessage(toChannel: channel, from: "alice/laptop/main", payload: [1, 2, 3], at: 20)
    }

    @Test(arguments: StoreKind.allCases)
    func createsAChannelWithItsCreatorAsFirstMember(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("general", visibility: .unlisted, createdBy: "alice", at: 42)
            let record = ChannelRecord(name: "general", visibility: .unlisted, createdBy: "alice", createdAtMs: 42)
            #expect(try store.channel(named: "general") == record)
            #expect(try store.members(ofChannel: "general") == ["alice"])
            #expect(try store.isMember("alice", ofChannel: "general"))
            #expect(try store.channel(named: "other") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func refusesADuplicateChannelName(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("general", visibility: .public, createdBy: "alice", at: 1)
            let error = #expect(throws: StoreError.self) {
                try store.createChannel("general", visibility: .private, createdBy: "bob", at: 2)
            }
            #expect(error?.code == .constraint)
            // The engine's own text, as upstream's `internal` reply carries database text.
            let expected = kind == .postgres
                ? "duplicate key value violates unique constraint \"channels_name_key\""
                : "UNIQUE constraint failed: channels.name"
            #expect(error?.message == expected)
            #expect(try store.channel(named: "general")?.createdBy == "alice")
            #expect(try store.members(ofChannel: "general") == ["alice"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func listsChannelsWithOneUsersMembershipInOneQuery(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("zeta", visibility: .public, createdBy: "alice", at: 1)
            try store.createChannel("alpha", visibility: .private, createdBy: "bob", at: 1)
            try store.createChannel("mid", visibility: .unlisted, createdBy: "carol", at: 1)
            try store.addMember("alice", toChannel: "mid")
            try store.addMember("dave", toChannel: "alpha")
            let listed = try store.channels(withMembershipOf: "alice")
            #expect(listed.map(\.0.name) == ["alpha", "mid", "zeta"])
            #expect(listed.map(\.isMember) == [false, true, true])
            #expect(listed.map(\.0) == (try store.channels()))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func listsChannelsSortedByName(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            for name in ["zeta", "alpha", "", "mid/dle"] {
                try store.createChannel(name, visibility: .public, createdBy: "alice", at: 1)
            }
            #expect(try store.channels().map(\.name) == ["", "alpha", "mid/dle", "zeta"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func changesVisibility(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("general", visibility: .public, createdBy: "alice", at: 1)
            for visibility in Visibility.allCases {
                try store.setVisibility(visibility, ofChannel: "general")
                #expect(try store.channel(named: "general")?.visibility == visibility)
            }
            try store.setVisibility(.private, ofChannel: "missing")
            #expect(try store.channel(named: "missing") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func deletingAChannelTakesItsACLBansInvitesAndHistory(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try populate(store, channel: "doomed")
            try populate(store, channel: "kept")

            try store.deleteChannel("doomed")

            #expect(try store.channel(named: "doomed") == nil)
            #expect(try store.invite(withToken: "tok-doomed") == nil)
            // A channel created again under the name starts empty.
            try store.createChannel("doomed", visibility: .public, createdBy: "carol", at: 30)
            #expect(try store.members(ofChannel: "doomed") == ["carol"])
            #expect(try store.bans(ofChannel: "doomed").isEmpty)
            #expect(try store.invites(ofChannel: "doomed").isEmpty)
            #expect(try store.messages(inChannel: "doomed", after: 0, limit: 10).isEmpty)
            // The other channel is untouched.
            #expect(try store.members(ofChannel: "kept") == ["alice", "bob"])
            #expect(try store.bans(ofChannel: "kept") == ["mallory"])
            #expect(try store.invites(ofChannel: "kept").count == 1)
            #expect(try store.messages(inChannel: "kept", after: 0, limit: 10).count == 1)

            try store.deleteChannel("never-existed")
        }
    }

    @Test(arguments: StoreKind.allCases)
    func renamingAChannelCarriesItsACLBansInvitesAndHistory(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try populate(store, channel: "old")

            try store.renameChannel("old", to: "new")

            #expect(try store.channel(named: "old") == nil)
            #expect(try store.channel(named: "new")?.createdBy == "alice")
            #expect(try store.members(ofChannel: "new") == ["alice", "bob"])
            #expect(try store.isMember("bob", ofChannel: "new"))
            #expect(try !store.isMember("bob", ofChannel: "old"))
            #expect(try store.bans(ofChannel: "new") == ["mallory"])
            #expect(try store.isBanned("mallory", fromChannel: "new"))
            #expect(try store.invite(withToken: "tok-old")?.channel == "new")
            #expect(try store.redeemInvite("tok-old", forChannel: "new", nowMs: 25))
            let history = try store.messages(inChannel: "new", after: 0, limit: 10)
            let moved = MessageRecord(channel: "new", from: "alice/laptop/main", payload: [1, 2, 3], timeMs: 20)
            #expect(history == [moved])
            #expect(try store.messages(inChannel: "old", after: 0, limit: 10).isEmpty)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func renamingOntoATakenNameChangesNothing(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try populate(store, channel: "one")
            try store.createChannel("two", visibility: .public, createdBy: "bob", at: 1)

            expectStoreError(.constraint) { try store.renameChannel("one", to: "two") }

            #expect(try store.channel(named: "one")?.createdBy == "alice")
            #expect(try store.channel(named: "two")?.createdBy == "bob")
            #expect(try store.members(ofChannel: "one") == ["alice", "bob"])
            #expect(try store.messages(inChannel: "one", after: 0, limit: 10).count == 1)
            // Renaming onto itself and renaming a missing channel are harmless.
            try store.renameChannel("one", to: "one")
            try store.renameChannel("missing", to: "other")
            #expect(try store.channels().map(\.name) == ["one", "two"])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func membershipRoundTrips(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("general", visibility: .private, createdBy: "alice", at: 1)
            // acl_add does not require the user to exist.
            try store.addMember("zed-not-registered", toChannel: "general")
            try store.addMember("bob", toChannel: "general")
            try store.addMember("bob", toChannel: "general")
            #expect(try store.members(ofChannel: "general") == ["alice", "bob", "zed-not-registered"])
            #expect(try store.isMember("bob", ofChannel: "general"))

            try store.removeMember("bob", fromChannel: "general")
            try store.removeMember("bob", fromChannel: "general")
            try store.removeMember("bob", fromChannel: "missing")
            #expect(try !store.isMember("bob", ofChannel: "general"))
            #expect(try store.members(ofChannel: "general") == ["alice", "zed-not-registered"])
            #expect(try store.members(ofChannel: "missing").isEmpty)
            #expect(try !store.isMember("alice", ofChannel: "missing"))

            expectStoreError(.constraint) { try store.addMember("bob", toChannel: "missing") }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func banRoundTrips(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("general", visibility: .public, createdBy: "alice", at: 1)
            #expect(try !store.isBanned("mallory", fromChannel: "general"))
            try store.addBan("mallory", onChannel: "general")
            try store.addBan("mallory", onChannel: "general")
            try store.addBan("eve", onChannel: "general")
            #expect(try store.isBanned("mallory", fromChannel: "general"))
            #expect(try store.bans(ofChannel: "general") == ["eve", "mallory"])
            // Bans and the ACL are separate lists.
            #expect(try store.members(ofChannel: "general") == ["alice"])

            try store.removeBan("mallory", fromChannel: "general")
            try store.removeBan("mallory", fromChannel: "general")
            #expect(try !store.isBanned("mallory", fromChannel: "general"))
            #expect(try store.bans(ofChannel: "general") == ["eve"])
            #expect(try !store.isBanned("eve", fromChannel: "missing"))

            expectStoreError(.constraint) { try store.addBan("eve", onChannel: "missing") }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func channelNamesWithNULBytesAreDistinct(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            try store.createChannel("a\u{0}b", visibility: .public, createdBy: "x\u{0}y", at: 1)
            try store.createChannel("a", visibility: .private, createdBy: "x", at: 2)
            #expect(try store.channel(named: "a\u{0}b")?.createdBy == "x\u{0}y")
            #expect(try store.channel(named: "a")?.visibility == .private)
            #expect(try store.members(ofChannel: "a\u{0}b") == ["x\u{0}y"])
            #expect(try !store.isMember("x", ofChannel: "a\u{0}b"))
        }
    }
}
