import Glibc
import Testing
import ConclavePOSIX
@testable import ConclaveStore
@testable import ConclaveWire

/// What only an on-disk store has: its directory, reopening, and refusing a database it cannot use.
@Suite struct StoreFileTests {
    private func withDirectory(_ body: (String) throws -> Void) throws {
        let directory = try TemporaryDirectory()
        try withExtendedLifetime(directory) { try body(directory.path) }
    }

    private func writeFile(_ path: String, _ text: String) throws {
        let file: UnsafeMutablePointer<FILE>? = fopen(path, "w")
        let opened = try #require(file)
        fputs(text, opened)
        fclose(opened)
    }

    private func size(of path: String) -> Int? {
        var status = stat()
        return stat(path, &status) == 0 ? Int(status.st_size) : nil
    }

    private func mode(of path: String) -> mode_t? {
        var status = stat()
        return stat(path, &status) == 0 ? status.st_mode : nil
    }

    @Test func createsTheDataDirectoryAndItsParentsPrivate() throws {
        try withDirectory { root in
            let directory = root + "/a/b/data"
            do {
                let store = try SQLiteStore(at: .directory(directory))
                #expect(store.path == directory + "/" + SQLiteStore.fileName)
                try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            }
            for path in [root + "/a", root + "/a/b", directory] {
                let found = try #require(mode(of: path))
                #expect(found & S_IFMT == S_IFDIR)
                #expect(found & 0o777 == 0o700, "\(path)")
            }
            #expect(mode(of: directory + "/conclave.sqlite3") != nil)
        }
    }

    @Test func usesAnExistingDirectoryAndATrailingSlash() throws {
        try withDirectory { root in
            chmod(root, 0o750)
            let store = try SQLiteStore(at: .directory(root + "/"))
            #expect(store.path == root + "/conclave.sqlite3")
            #expect(mode(of: root).map { $0 & 0o777 } == 0o750)
        }
    }

    @Test func runsInWALMode() throws {
        try withDirectory { root in
            let store = try SQLiteStore(at: .directory(root))
            try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
            #expect(mode(of: root + "/conclave.sqlite3-wal") != nil)
        }
    }

    @Test(arguments: [(SyncMode.normal, 1), (.full, 2)] as [(SyncMode, Int64)])
    func syncModeChoosesTheSynchronousLevelAndCheckpointsAreLeftToTheirThread(_ mode: SyncMode, level: Int64)
        throws {
        try withDirectory { root in
            let store = try SQLiteStore(at: .directory(root), sync: mode)
            #expect(try store.pragma("synchronous") == level)
            #expect(try store.pragma("wal_autocheckpoint") == 0)
        }
    }

    @Test func theCheckpointThreadCopiesCommitsIntoTheDatabaseFile() throws {
        try withDirectory { root in
            let store = try SQLiteStore(at: .directory(root))
            try store.createChannel("general", visibility: .public, createdBy: "alice", at: 1)
            let file = root + "/" + SQLiteStore.fileName
            let before = try #require(size(of: file))
            try store.appendMessages((0..<100).map { index in
                MessageRecord(channel: "general", from: "a/b/c", payload: [UInt8](repeating: 7, count: 1_000),
                              timeMs: Int64(index))
            })
            // No commit checkpoints (wal_autocheckpoint is off); the thread does, every 100 ms. Wait at most 10 s.
            let deadline = MonotonicInstant.after(milliseconds: 10_000)
            while size(of: file) == before && !deadline.hasPassed { usleep(50_000) }
            #expect(try #require(size(of: file)) > before + 100_000)
        }
    }

    @Test func keepsEverythingAcrossCloseAndReopen() throws {
        try withDirectory { root in
            let firstID: String
            do {
                let store = try SQLiteStore(at: .directory(root))
                firstID = try store.instanceID()
                try store.registerUser("alice", machine: "laptop", publicKey: testKey(1), at: 1)
                try store.createChannel("club", visibility: .private, createdBy: "alice", at: 2)
                try store.addMember("bob", toChannel: "club")
                try store.addBan("mallory", onChannel: "club")
                try store.createInvite(
                    InviteRecord(token: "t", channel: "club", usesRemaining: 2, expiresAtMs: 99, createdBy: "alice"))
                #expect(try store.redeemInvite("t", forChannel: "club", nowMs: 3))
                try store.appendMessage(toChannel: "club", from: "alice/laptop/main", payload: [7, 0, 7], at: 4)
            }
            let reopened = try SQLiteStore(at: .directory(root))
            #expect(try reopened.instanceID() == firstID)
            #expect(try reopened.machine(withPublicKey: testKey(1))?.name == "laptop")
            #expect(try reopened.channel(named: "club")?.visibility == .private)
            #expect(try reopened.members(ofChannel: "club") == ["alice", "bob"])
            #expect(try reopened.bans(ofChannel: "club") == ["mallory"])
            #expect(try reopened.invite(withToken: "t")?.usesRemaining == 1)
            let history = try reopened.messages(inChannel: "club", after: 0, limit: 10)
            let kept = MessageRecord(channel: "club", from: "alice/laptop/main", payload: [7, 0, 7], timeMs: 4)
            #expect(history == [kept])
            #expect(try reopened.schemaVersion() == SQLiteSchema.currentVersion)
        }
    }

    @Test func twoStoresOnOneFileSeeOneStateAndOneLastInviteUse() throws {
        try withDirectory { root in
            let first = try SQLiteStore(at: .directory(root))
            let second = try SQLiteStore(at: .directory(root))
            #expect(try first.instanceID() == second.instanceID())
            try first.createChannel("club", visibility: .private, createdBy: "alice", at: 1)
            try first.createInvite(
                InviteRecord(token: "t", channel: "club", usesRemaining: 1, expiresAtMs: nil, createdBy: "alice"))
            #expect(try second.redeemInvite("t", forChannel: "club", nowMs: 2))
            #expect(try !first.redeemInvite("t", forChannel: "club", nowMs: 2))
            #expect(try first.invite(withToken: "t") == nil)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func recordsTheSchemaVersion(_ kind: StoreKind) throws {
        #expect(SQLiteSchema.currentVersion >= 1)
        #expect(PostgresSchema.currentVersion >= 1)
        try withStore(kind) { (store) throws in
            switch store {
            case let store as SQLiteStore: #expect(try store.schemaVersion() == SQLiteSchema.currentVersion)
            case let store as PostgresStore: #expect(try store.schemaVersion() == PostgresSchema.currentVersion)
            default: Issue.record("unexpected store \(type(of: store))")
            }
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theInstanceIDIsTwentyFourRandomBytes(_ kind: StoreKind) throws {
        try withStore(kind) { store in
            let id = try store.instanceID()
            #expect(try Base64URL.decode(id).count == 24)
            #expect(try store.instanceID() == id)
            #expect(try SQLiteStore(at: .memory).instanceID() != id)
        }
    }

    @Test func refusesAFileThatIsNotADatabase() throws {
        try withDirectory { root in
            let path = root + "/conclave.sqlite3"
            try writeFile(path, String(repeating: "this is not an SQLite database\n", count: 200))
            let error = #expect(throws: StoreError.self) { try SQLiteStore(at: .directory(root)) }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains(path) == true, "\(error?.message ?? "")")
        }
    }

    @Test(arguments: [(SQLiteSchema.currentVersion + 1, "newer"), (-1, "not a valid version")])
    func refusesASchemaVersionItDoesNotKnow(_ version: Int, _ reason: String) throws {
        try withDirectory { root in
            do {
                let connection = try SQLiteConnection(path: root + "/conclave.sqlite3")
                try connection.execute("PRAGMA user_version = \(version)")
            }
            let error = #expect(throws: StoreError.self) { try SQLiteStore(at: .directory(root)) }
            #expect(error?.code == .unavailable)
            #expect(error?.message.contains(reason) == true, "\(error?.message ?? "")")
        }
    }

    @Test func refusesADataDirectoryThatIsAFile() throws {
        try withDirectory { root in
            let path = root + "/file"
            try writeFile(path, "")
            for directory in [path, path + "/below", "", "a\u{0}b"] {
                let error = #expect(throws: StoreError.self) { try SQLiteStore(at: .directory(directory)) }
                #expect(error?.code == .unavailable)
            }
        }
    }
}
