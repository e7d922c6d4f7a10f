import ConclaveWire

/// The server's durable state (PROTOCOL.md §6.1) in SQLite, or in memory for `--ephemeral`.
///
/// **Durability.** A file store runs in WAL mode. Posts come in batches (``appendMessages(_:)``), one
/// transaction per batch, so a commit's cost is shared by every post of an event-loop turn. With
/// ``SyncMode/normal`` (`synchronous=NORMAL`) a commit appends to the WAL with `write()` before returning, so
/// once a call here returns its change is in the kernel and survives the process being killed (`kill -9`);
/// after a power cut or kernel crash the last few commits may be lost, but the database stays consistent.
/// ``SyncMode/full`` (`synchronous=FULL`) also fsyncs the WAL at every commit, so a returned commit survives
/// a power cut too. Checkpoints run on a thread of their own (``SQLiteCheckpointer``), never inside a commit.
///
/// **Schema changes.** Append a migration script to `SQLiteSchema.migrations`; opening a store applies the
/// missing ones in order, each in its own transaction with the `PRAGMA user_version` bump.
///
/// **Missing channels.** Adding a member, ban, invite or message to a channel that does not exist is a
/// `constraint` error; deleting, renaming or re-tiering a missing channel, and removing a member or ban that
/// is not there, changes nothing. Lists come sorted: machines and members and bans by name, invites in
/// creation order.
package final class SQLiteStore: UserListStore {
    /// Where the database lives.
    package enum Location: Hashable, Sendable {
        /// `conclave.sqlite3` in this directory, which is created (mode 0700, with parents) if missing.
        case directory(String)
        /// Nothing on disk; everything is lost when the store is released (`--ephemeral`).
        case memory
    }

    /// The database file's name inside a data directory.
    package static let fileName = "conclave.sqlite3"

    /// The database file's path, or `:memory:`; for logs.
    package let path: String

    package var location: String { path == ":memory:" ? "in memory, ephemeral" : path }

    /// How often the checkpoint thread copies the WAL into the database file.
    private static let checkpointIntervalMs: Int32 = 100

    private let connection: SQLiteConnection
    private let storedInstanceID: String
    /// `nil` in memory, where there is no WAL.
    private let checkpointer: SQLiteCheckpointer?

    /// Opens the store, creating and migrating the database as needed. Any failure is `unavailable`
    /// and names the path.
    package init(at location: Location, sync: SyncMode = .normal) throws(StoreError) {
        switch location {
        case .directory(let directory):
            try DataDirectory.create(directory)
            path = directory.hasSuffix("/") ? directory + Self.fileName : directory + "/" + Self.fileName
        case .memory:
            path = ":memory:"
        }
        do throws(StoreError) {
            connection = try SQLiteConnection(path: path)
            try Self.configure(connection, inMemory: location == .memory, sync: sync)
            try SQLiteSchema.migrate(connection)
            storedInstanceID = try Self.loadInstanceID(connection)
            checkpointer = location == .memory
                ? nil : try SQLiteCheckpointer(path: path, intervalMs: Self.checkpointIntervalMs)
        } catch where error.code == .unavailable {
            throw error
        } catch {
            throw StoreError(.unavailable, "cannot open database \(path): \(error.message)")
        }
    }

    private static func configure(_ connection: SQLiteConnection, inMemory: Bool, sync: SyncMode)
        throws(StoreError)
    {
        // Set first, so that switching the journal mode waits out another process instead of failing.
        try connection.prepare("PRAGMA busy_timeout = 5000").run()
        let journal = try connection.prepare("PRAGMA journal_mode = WAL").firstRow([]) { $0.text(0) }
        // An in-memory database has no WAL and reports `memory`.
        guard inMemory || journal?.lowercased() == "wal" else {
            throw StoreError(.unavailable, "WAL journal mode is not available (got \(journal ?? "nothing"))")
        }
        try connection.prepare("PRAGMA synchronous = \(sync == .full ? "FULL" : "NORMAL")").run()
        // The checkpoint thread does this work; a WAL that grew under a burst is cut back once it restarts.
        try connection.prepare("PRAGMA wal_autocheckpoint = 0").run()
        try connection.prepare("PRAGMA journal_size_limit = \(64 << 20)").run()
        try connection.prepare("PRAGMA foreign_keys = ON").run()
        // The cascades carry channel deletes and renames; refuse to run with them silently off.
        guard try connection.prepare("PRAGMA foreign_keys").firstRow([], { $0.integer(0) }) == 1 else {
            throw StoreError(.unavailable, "SQLite foreign key support is not available")
        }
    }

    /// Reads the instance id, creating it (24 random bytes as b64u) in a fresh database.
    private static func loadInstanceID(_ connection: SQLiteConnection) throws(StoreError) -> String {
        try connection.transaction { () throws(StoreError) -> String in
            let select = try connection.prepare("SELECT value FROM meta WHERE key = 'instance_id'")
            if let existing = try select.firstRow([], { $0.text(0) }) { return existing }
            let created = Base64URL.encode(SecureRandom.bytes(24))
            try connection.prepare("INSERT INTO meta (key, value) VALUES ('instance_id', ?1)").run([.text(created)])
            return created
        }
    }

    /// The schema version recorded in the database.
    func schemaVersion() throws(StoreError) -> Int {
        try SQLiteSchema.version(of: connection)
    }

    /// The integer value of `PRAGMA name`, as this store's connection sees it.
    func pragma(_ name: String) throws(StoreError) -> Int64? {
        try connection.prepare("PRAGMA \(name)").firstRow([]) { $0.integer(0) }
    }

    package func instanceID() throws(StoreError) -> String {
        storedInstanceID
    }

    // MARK: Users and machines

    package func userExists(_ username: String) throws(StoreError) -> Bool {
        try connection.statement("SELECT 1 FROM users WHERE username = ?1")
            .firstRow([.text(username)]) { _ in true } ?? false
    }

    package func registerUser(_ username: String, machine: String, publicKey: String, at timeMs: Int64)
        throws(StoreError)
    {
        try connection.transaction { () throws(StoreError) in
            try connection.statement("INSERT INTO users (username, created_at_ms) VALUES (?1, ?2)")
                .run([.text(username), .integer(timeMs)])
            try insertMachine(machine, of: username, publicKey: publicKey, at: timeMs)
        }
    }

    package func machine(withPublicKey publicKey: String) throws(StoreError) -> MachineRecord? {
        try connection.statement(
            "SELECT username, name, public_key, added_at_ms FROM machines WHERE public_key = ?1"
        ).firstRow([.text(publicKey)], Self.machineRecord)
    }

    package func machines(of username: String) throws(StoreError) -> [MachineRecord] {
        try connection.statement(
            "SELECT username, name, public_key, added_at_ms FROM machines WHERE username = ?1 ORDER BY name"
        ).rows([.text(username)], Self.machineRecord)
    }

    package func addMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64)
        throws(StoreError)
    {
        try insertMachine(name, of: username, publicKey: publicKey, at: timeMs)
    }

    package func removeMachine(_ name: String, of username: String) throws(StoreError) -> MachineRecord? {
        try connection.statement("""
            DELETE FROM machines WHERE username = ?1 AND name = ?2
            RETURNING username, name, public_key, added_at_ms
            """
        ).firstRow([.text(username), .text(name)], Self.machineRecord)
    }

    package func removeUser(_ username: String) throws(StoreError) -> [String] {
        let user = SQLiteValue.text(username)
        return try connection.transaction { () throws(StoreError) -> [String] in
            // Children of the channels go with them by cascade; machines go with the user.
            let deleted = try connection.statement(
                "DELETE FROM channels WHERE created_by = ?1 RETURNING name"
            ).rows([user]) { $0.text(0) }
            try connection.statement("DELETE FROM memberships WHERE username = ?1").run([user])
            try connection.statement("DELETE FROM users WHERE username = ?1").run([user])
            return deleted.sorted()
        }
    }

    package func usernames() throws(StoreError) -> [String] {
        try connection.statement("SELECT username FROM users ORDER BY username").rows([]) { $0.text(0) }
    }

    private func insertMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64)
        throws(StoreError)
    {
        try connection.statement(
            "INSERT INTO machines (username, name, public_key, added_at_ms) VALUES (?1, ?2, ?3, ?4)"
        ).run([.text(username), .text(name), .text(publicKey), .integer(timeMs)])
    }

    private static func machineRecord(_ row: SQLiteRow) -> MachineRecord {
        MachineRecord(username: row.text(0), name: row.text(1), publicKey: row.text(2), addedAtMs: row.integer(3))
    }

    // MARK: Channels

    package func createChannel(_ name: String, visibility: Visibility, createdBy username: String, at timeMs: Int64)
        throws(StoreError)
    {
        try connection.transaction { () throws(StoreError) in
            let id = try connection.statement("""
                INSERT INTO channels (name, visibility, created_by, created_at_ms) VALUES (?1, ?2, ?3, ?4)
                RETURNING id
                """
            ).firstRow(
                [.text(name), .integer(Int64(visibility.rawValue)), .text(username), .integer(timeMs)]
            ) { $0.integer(0) }
            guard let id else { throw StoreError(.engine, "creating channel `\(name)` returned no id") }
            try connection.statement("INSERT INTO memberships (channel_id, username) VALUES (?1, ?2)")
                .run([.integer(id), .text(username)])
        }
    }

    package func channel(named name: String) throws(StoreError) -> ChannelRecord? {
        try connection.statement(
            "SELECT name, visibility, created_by, created_at_ms FROM channels WHERE name = ?1"
        ).firstRow([.text(name)], Self.channelRecord)
    }

    package func channels() throws(StoreError) -> [ChannelRecord] {
        try connection.statement(
            "SELECT name, visibility, created_by, created_at_ms FROM channels ORDER BY name"
        ).rows([], Self.channelRecord)
    }

    package func channels(withMembershipOf username: String) throws(StoreError)
        -> [(ChannelRecord, isMember: Bool)] {
        try connection.statement("""
            SELECT c.name, c.visibility, c.created_by, c.created_at_ms, m.username IS NOT NULL FROM channels AS c
            LEFT JOIN memberships AS m ON m.channel_id = c.id AND m.username = ?1 ORDER BY c.name
            """
        ).rows([.text(username)]) { (Self.channelRecord($0), $0.integer(4) != 0) }
    }

    package func deleteChannel(_ name: String) throws(StoreError) {
        try connection.statement("DELETE FROM channels WHERE name = ?1").run([.text(name)])
    }

    package func renameChannel(_ name: String, to newName: String) throws(StoreError) {
        try connection.statement("UPDATE channels SET name = ?2 WHERE name = ?1").run([.text(name), .text(newName)])
    }

    package func setVisibility(_ visibility: Visibility, ofChannel name: String) throws(StoreError) {
        try connection.statement("UPDATE channels SET visibility = ?2 WHERE name = ?1")
            .run([.text(name), .integer(Int64(visibility.rawValue))])
    }

    /// The CHECK constraint keeps the column to 0...2; anything else would be a database edited by hand,
    /// read as the most restrictive tier rather than trapping.
    private static func channelRecord(_ row: SQLiteRow) -> ChannelRecord {
        let visibility = UInt32(exactly: row.integer(1)).flatMap(Visibility.init(rawValue:)) ?? .private
        return ChannelRecord(
            name: row.text(0), visibility: visibility, createdBy: row.text(2), createdAtMs: row.integer(3))
    }

    /// The id of an existing channel; a missing one is a reference failure, hence `constraint`.
    private func channelID(of name: String) throws(StoreError) -> Int64 {
        let id = try connection.statement("SELECT id FROM channels WHERE name = ?1").firstRow([.text(name)]) {
            $0.integer(0)
        }
        guard let id else { throw StoreError(.constraint, "no channel named `\(name)`") }
        return id
    }

    // MARK: ACL and bans (the eight calls come from `UserListStore`)

    func contains(_ username: String, inChannel channel: String, table: UserListTable) throws(StoreError)
        -> Bool
    {
        try connection.statement("""
            SELECT 1 FROM \(table.rawValue) AS t JOIN channels AS c ON c.id = t.channel_id
            WHERE c.name = ?1 AND t.username = ?2
            """
        ).firstRow([.text(channel), .text(username)]) { _ in true } ?? false
    }

    func add(_ username: String, toChannel channel: String, table: UserListTable) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            let id = try channelID(of: channel)
            try connection.statement(
                "INSERT INTO \(table.rawValue) (channel_id, username) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
            ).run([.integer(id), .text(username)])
        }
    }

    func remove(_ username: String, fromChannel channel: String, table: UserListTable) throws(StoreError) {
        try connection.statement("""
            DELETE FROM \(table.rawValue)
            WHERE channel_id = (SELECT id FROM channels WHERE name = ?1) AND username = ?2
            """
        ).run([.text(channel), .text(username)])
    }

    func list(_ channel: String, table: UserListTable) throws(StoreError) -> [String] {
        try connection.statement("""
            SELECT t.username FROM \(table.rawValue) AS t JOIN channels AS c ON c.id = t.channel_id
            WHERE c.name = ?1 ORDER BY t.username
            """
        ).rows([.text(channel)]) { $0.text(0) }
    }

    // MARK: Invites

    package func createInvite(_ invite: InviteRecord) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            let id = try channelID(of: invite.channel)
            try connection.statement("""
                INSERT INTO invites (token, channel_id, uses_remaining, expires_at_ms, created_by)
                VALUES (?1, ?2, ?3, ?4, ?5)
                """
            ).run([
                .text(invite.token), .integer(id), .optionalInteger(invite.usesRemaining),
                .optionalInteger(invite.expiresAtMs), .text(invite.createdBy),
            ])
        }
    }

    package func invite(withToken token: String) throws(StoreError) -> InviteRecord? {
        try connection.statement("""
            SELECT i.token, c.name, i.uses_remaining, i.expires_at_ms, i.created_by
            FROM invites AS i JOIN channels AS c ON c.id = i.channel_id WHERE i.token = ?1
            """
        ).firstRow([.text(token)], Self.inviteRecord)
    }

    package func deleteInvite(withToken token: String) throws(StoreError) {
        try connection.statement("DELETE FROM invites WHERE token = ?1").run([.text(token)])
    }

    package func invites(ofChannel channel: String) throws(StoreError) -> [InviteRecord] {
        try connection.statement("""
            SELECT i.token, c.name, i.uses_remaining, i.expires_at_ms, i.created_by
            FROM invites AS i JOIN channels AS c ON c.id = i.channel_id WHERE c.name = ?1 ORDER BY i.rowid
            """
        ).rows([.text(channel)], Self.inviteRecord)
    }

    package func redeemInvite(_ token: String, forChannel channel: String, nowMs: Int64) throws(StoreError)
        -> Bool
    {
        try connection.transaction { () throws(StoreError) -> Bool in
            guard let invite = try invite(withToken: token), invite.channel == channel else { return false }
            if let expiresAtMs = invite.expiresAtMs, expiresAtMs <= nowMs {
                try deleteInvite(withToken: token)
                return false
            }
            guard let uses = invite.usesRemaining else { return true }
            guard uses > 0 else { return false }
            if uses == 1 {
                try deleteInvite(withToken: token)
            } else {
                try connection.statement("UPDATE invites SET uses_remaining = uses_remaining - 1 WHERE token = ?1")
                    .run([.text(token)])
            }
            return true
        }
    }

    private static func inviteRecord(_ row: SQLiteRow) -> InviteRecord {
        InviteRecord(
            token: row.text(0), channel: row.text(1), usesRemaining: row.optionalInteger(2),
            expiresAtMs: row.optionalInteger(3), createdBy: row.text(4))
    }

    // MARK: History

    package func appendMessages(_ messages: [MessageRecord]) throws(StoreError) {
        guard !messages.isEmpty else { return }
        try connection.transaction { () throws(StoreError) in
            // One statement per message: the channel lookup is part of the insert.
            let insert = try connection.statement("""
                INSERT INTO messages (channel_id, from_path, payload, ts_ms)
                SELECT id, ?2, ?3, ?4 FROM channels WHERE name = ?1
                """)
            for message in messages {
                try insert.run([.text(message.channel), .text(message.from), .blob(message.payload),
                                .integer(message.timeMs)])
                guard connection.changes == 1 else {
                    throw StoreError(.constraint, "no channel named `\(message.channel)`")
                }
            }
        }
    }

    package func messages(inChannel channel: String, after sinceMs: Int64, limit: Int) throws(StoreError)
        -> [MessageRecord]
    {
        guard limit > 0 else { return [] }
        return try connection.statement("""
            SELECT m.from_path, m.payload, m.ts_ms FROM messages AS m JOIN channels AS c ON c.id = m.channel_id
            WHERE c.name = ?1 AND m.ts_ms > ?2 ORDER BY m.ts_ms, m.id LIMIT ?3
            """
        ).rows([.text(channel), .integer(sinceMs), .integer(Int64(limit))]) { row in
            MessageRecord(channel: channel, from: row.text(0), payload: row.blob(1), timeMs: row.integer(2))
        }
    }

    package func purgeMessages(olderThan cutoffMs: Int64) throws(StoreError) -> Int {
        try connection.statement("DELETE FROM messages WHERE ts_ms < ?1").run([.integer(cutoffMs)])
        return connection.changes
    }
}
