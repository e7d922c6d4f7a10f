import Testing
@testable import ConclaveStore

@Suite struct StoreInviteTests {
    private func invite(_ token: String, uses: Int64?, expiresAtMs: Int64? = nil) -> InviteRecord {
        InviteRecord(token: token, channel: "club", usesRemaining: uses, expiresAtMs: expiresAtMs, createdBy: "alice")
    }

    private func withClub(_ kind: StoreKind, _ body: (any ServerStore) throws -> Void) throws {
        try withStore(kind) { store in
            try store.createChannel("club", visibility: .private, createdBy: "alice", at: 1)
            try body(store)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func createsListsAndDeletesInvites(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createChannel("other", visibility: .private, createdBy: "bob", at: 1)
            let limited = invite("t2", uses: 5, expiresAtMs: 9_000)
            let unlimited = invite("t1", uses: nil)
            try store.createInvite(limited)
            try store.createInvite(unlimited)
            try store.createInvite(
                InviteRecord(token: "t3", channel: "other", usesRemaining: 1, expiresAtMs: nil, createdBy: "bob"))

            #expect(try store.invite(withToken: "t2") == limited)
            #expect(try store.invite(withToken: "t1") == unlimited)
            #expect(try store.invite(withToken: "nope") == nil)
            // Creation order, not token order.
            #expect(try store.invites(ofChannel: "club") == [limited, unlimited])
            #expect(try store.invites(ofChannel: "other").map(\.token) == ["t3"])

            try store.deleteInvite(withToken: "t2")
            try store.deleteInvite(withToken: "t2")
            #expect(try store.invites(ofChannel: "club") == [unlimited])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func refusesADuplicateTokenAndAMissingChannel(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createInvite(invite("t", uses: 1))
            expectStoreError(.constraint) { try store.createInvite(invite("t", uses: nil)) }
            expectStoreError(.constraint) {
                try store.createInvite(
                    InviteRecord(token: "u", channel: "missing", usesRemaining: nil, expiresAtMs: nil, createdBy: "a"))
            }
            #expect(try store.invite(withToken: "t")?.usesRemaining == 1)
            #expect(try store.invite(withToken: "u") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anUnlimitedInviteIsNeverConsumed(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createInvite(invite("t", uses: nil))
            for _ in 0..<5 {
                #expect(try store.redeemInvite("t", forChannel: "club", nowMs: 100))
            }
            #expect(try store.invite(withToken: "t") == invite("t", uses: nil))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func aLimitedInviteLosesOneUsePerRedemptionAndIsDeletedAtZero(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createInvite(invite("t", uses: 2))
            #expect(try store.redeemInvite("t", forChannel: "club", nowMs: 100))
            #expect(try store.invite(withToken: "t")?.usesRemaining == 1)
            #expect(try store.redeemInvite("t", forChannel: "club", nowMs: 100))
            #expect(try store.invite(withToken: "t") == nil)
            #expect(try !store.redeemInvite("t", forChannel: "club", nowMs: 100))
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anInviteWithNoUsesIsDeadButListed(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createInvite(invite("t", uses: 0))
            #expect(try !store.redeemInvite("t", forChannel: "club", nowMs: 100))
            #expect(try store.invite(withToken: "t")?.usesRemaining == 0)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anExpiredInviteIsDeletedAndRefused(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createInvite(invite("early", uses: nil, expiresAtMs: 1_000))
            try store.createInvite(invite("late", uses: 3, expiresAtMs: 1_001))

            // Expiry is inclusive: at the expiry instant the token is already dead.
            #expect(try !store.redeemInvite("early", forChannel: "club", nowMs: 1_000))
            #expect(try store.invite(withToken: "early") == nil)

            #expect(try store.redeemInvite("late", forChannel: "club", nowMs: 1_000))
            #expect(try store.invite(withToken: "late")?.usesRemaining == 2)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func anInviteForAnotherChannelIsRefusedAndKept(_ kind: StoreKind) throws {
        try withClub(kind) { store in
            try store.createChannel("other", visibility: .private, createdBy: "alice", at: 1)
            try store.createInvite(invite("t", uses: 1, expiresAtMs: 10))
            // Wrong channel: refused without touching the token, even though it is also expired.
            #expect(try !store.redeemInvite("t", forChannel: "other", nowMs: 100))
            #expect(try store.invite(withToken: "t") == invite("t", uses: 1, expiresAtMs: 10))
            #expect(try !store.redeemInvite("unknown", forChannel: "club", nowMs: 1))
            #expect(try !store.redeemInvite("t", forChannel: "missing", nowMs: 1))
        }
    }
}
