import ConclaveWire

/// The server's durable state (PROTOCOL.md §6.1) in a PostgreSQL database, which several servers may share.
///
/// It behaves as ``SQLiteStore`` does (same ordering, cascades, invite redemption and error codes); only the
/// engine's own error texts differ. The schema is in ``PostgresSchema``.
///
/// **Durability** is PostgreSQL's own: the session runs with `synchronous_commit = on` whatever the server's
/// default, so a call returns once its commit is flushed to PostgreSQL's WAL as the server's `fsync` setting
/// says, which survives this process being killed and, with `fsync` on, a power cut of the database host. There is
/// no weaker mode, so ``SyncMode`` does not apply.
///
/// **Several servers.** The instance id lives in the database, so every server of a deployment reports the same
/// one. Messages get a gap-free sequence number in commit order (``lastSequence()``,
/// ``messages(afterSequence:limit:)``), tagged with the storing server's ``origin``, and every append notifies
/// ``notificationChannel`` with its last number at commit, so the others can follow the log.
package final class PostgresStore: UserListStore {
    /// The `NOTIFY` channel that `appendMessages` signals; the payload is the last sequence number it stored.
    package static let notificationChannel = "conclave_messages"

    /// The most rows one INSERT carries; a batch of more takes several statements in its one transaction.
    private static let rowsPerInsert = 1_000

    package let location: String

    /// Tags the messages this store appends, so that a server following the log can skip its own.
    package var origin = ""

    /// Whether a message is stamped no earlier than the one numbered before it (see `PostgresSchema.version2`).
    /// Off, the store keeps the stamps it is given, as ``SQLiteStore`` does; ``PostgresCluster`` turns it on,
    /// because the instances' clocks stamp the posts and the database numbers them.
    package var stampsFollowSequence = false

    /// The sequence numbers the last successful ``appendMessages(_:)`` assigned; `nil` after an empty or failed one.
    package private(set) var lastAppendedSequences: ClosedRange<Int64>?

    /// Also the cluster directory's (``PostgresCluster``): one connection per instance for both.
    let connection: PostgresConnection
    private let storedInstanceID: String

    /// Connects to `url` (`postgres://` or `postgresql://`), creating and migrating the schema as needed. Any
    /// failure is `unavailable` and names the URL without its password.
    package init(url: String) throws(StoreError) {
        location = Self.withoutPassword(url)
        do throws(StoreError) {
            // An ack means stored: never let a server or database default of `off` weaken that.
            connection = try PostgresConnection(url: url, setup: ["SET synchronous_commit = on"])
            try PostgresSchema.migrate(connection)
            storedInstanceID = try Self.loadInstanceID(connection)
        } catch {
            throw StoreError(.unavailable, "cannot open database \(location): \(error.message)")
        }
    }

    /// `url` without the password of its user information or of a `password` query parameter, for logs.
    package static func withoutPassword(_ url: String) -> String {
        guard let schemeEnd = url.firstRange(of: "://") else { return url }
        var rest = url[schemeEnd.upperBound...]
        var query = ""
        if let mark = rest.firstIndex(of: "?") {
            query = rest[mark...].split(separator: "&", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix("password=") && !$0.hasPrefix("?password=") }.joined(separator: "&")
            if !query.isEmpty && !query.hasPrefix("?") { query = "?" + query }
            rest = rest[..<mark]
        }
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        if let at = rest[..<authorityEnd].lastIndex(of: "@"),
           let colon = rest[..<at].firstIndex(of: ":") {
            rest = rest[..<colon] + rest[at...]
        }
        return String(url[..<schemeEnd.upperBound]) + rest + query
    }

    /// Reads the instance id, creating it (24 random bytes as b64u) in a fresh database; concurrent first starts
    /// agree on whichever insert won.
    private static func loadInstanceID(_ connection: PostgresConnection) throws(StoreError) -> String {
        let created = Base64URL.encode(SecureRandom.bytes(24))
        try connection.execute(
            "INSERT INTO meta (key, value) VALUES ('instance_id', $1) ON CONFLICT DO NOTHING", [.text(created)])
        return try connection.execute("SELECT value FROM meta WHERE key = 'instance_id'")[0].text(0)
    }

    /// The schema version recorded in the database.
    func schemaVersion() throws(StoreError) -> Int {
        try PostgresSchema.version(of: connection)
    }

    package func instanceID() throws(StoreError) -> String {
        storedInstanceID
    }

    // MARK: Users and machines

    package func userExists(_ username: String) throws(StoreError) -> Bool {
        try !connection.execute("SELECT 1 FROM users WHERE username = $1", [.name(username)]).isEmpty
    }

    package func registerUser(_ username: String, machine: String, publicKey: String, at timeMs: Int64)
        throws(StoreError)
    {
        try connection.transaction { () throws(StoreError) in
            try connection.execute(
                "INSERT INTO users (username, created_at_ms) VALUES ($1, $2)", [.name(username), .integer(timeMs)])
            try insertMachine(machine, of: username, publicKey: publicKey, at: timeMs)
        }
    }

    package func machine(withPublicKey publicKey: String) throws(StoreError) -> MachineRecord? {
        try connection.execute(
            "SELECT username, name, public_key, added_at_ms FROM machines WHERE public_key = $1", [.name(publicKey)]
        ).first.map(Self.machineRecord)
    }

    package func machines(of username: String) throws(StoreError) -> [MachineRecord] {
        try connection.execute(
            "SELECT username, name, public_key, added_at_ms FROM machines WHERE username = $1 ORDER BY name",
            [.name(username)]
        ).map(Self.machineRecord)
    }

    package func addMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64)
        throws(StoreError)
    {
        try insertMachine(name, of: username, publicKey: publicKey, at: timeMs)
    }

    package func removeMachine(_ name: String, of username: String) throws(StoreError) -> MachineRecord? {
        try connection.execute("""
            DELETE FROM machines WHERE username = $1 AND name = $2
            RETURNING username, name, public_key, added_at_ms
            """, [.name(username), .name(name)]
        ).first.map(Self.machineRecord)
    }

    package func removeUser(_ username: String) throws(StoreError) -> [String] {
        try connection.transaction { () throws(StoreError) -> [String] in
            // Children of the channels go with them by cascade; machines go with the user.
            let deleted = try connection.execute(
                "DELETE FROM channels WHERE created_by = $1 RETURNING name", [.name(username)]
            ).map { $0.text(0) }
            try connection.execute("DELETE FROM memberships WHERE username = $1", [.name(username)])
            try connection.execute("DELETE FROM users WHERE username = $1", [.name(username)])
            return deleted.sorted()
        }
    }

    package func usernames() throws(StoreError) -> [String] {
        try connection.execute("SELECT username FROM users ORDER BY username").map { $0.text(0) }
    }

    private func insertMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64)
        throws(StoreError)
    {
        try connection.execute(
            "INSERT INTO machines (username, name, public_key, added_at_ms) VALUES ($1, $2, $3, $4)",
            [.name(username), .name(name), .name(publicKey), .integer(timeMs)])
    }

    private static func machineRecord(_ row: PostgresRow) -> MachineRecord {
        MachineRecord(username: row.text(0), name: row.text(1), publicKey: row.text(2), addedAtMs: row.integer(3))
    }

    // MARK: Channels

    package func createChannel(_ name: String, visibility: Visibility, createdBy username: String, at timeMs: Int64)
        throws(StoreError)
    {
        try connection.transaction { () throws(StoreError) in
            let id = try connection.execute("""
                INSERT INTO channels (name, visibility, created_by, created_at_ms) VALUES ($1, $2, $3, $4)
                RETURNING id
                """, [.name(name), .integer(Int64(visibility.rawValue)), .name(username), .integer(timeMs)]
            )[0].integer(0)
            try connection.execute(
                "INSERT INTO memberships (channel_id, username) VALUES ($1, $2)", [.integer(id), .name(username)])
        }
    }

    package func channel(named name: String) throws(StoreError) -> ChannelRecord? {
        try connection.execute(
            "SELECT name, visibility, created_by, created_at_ms FROM channels WHERE name = $1", [.name(name)]
        ).first.map(Self.channelRecord)
    }

    package func channels() throws(StoreError) -> [ChannelRecord] {
        try connection.execute("SELECT name, visibility, created_by, created_at_ms FROM channels ORDER BY name")
            .map(Self.channelRecord)
    }

    package func channels(withMembershipOf username: String) throws(StoreError)
        -> [(ChannelRecord, isMember: Bool)] {
        try connection.execute("""
            SELECT c.name, c.visibility, c.created_by, c.created_at_ms, m.username IS NOT NULL FROM channels AS c
            LEFT JOIN memberships AS m ON m.channel_id = c.id AND m.username = $1 ORDER BY c.name
            """, [.name(username)]
        ).map { (Self.channelRecord($0), $0.boolean(4)) }
    }

    package func deleteChannel(_ name: String) throws(StoreError) {
        try connection.execute("DELETE FROM channels WHERE name = $1", [.name(name)])
    }

    package func renameChannel(_ name: String, to newName: String) throws(StoreError) {
        try connection.execute("UPDATE channels SET name = $2 WHERE name = $1", [.name(name), .name(newName)])
    }

    package func setVisibility(_ visibility: Visibility, ofChannel name: String) throws(StoreError) {
        try connection.execute(
            "UPDATE channels SET visibility = $2 WHERE name = $1", [.name(name), .integer(Int64(visibility.rawValue))])
    }

    /// The CHECK constraint keeps the column to 0...2; anything else would be a database edited by hand,
    /// read as the most restrictive tier rather than trapping.
    private static func channelRecord(_ row: PostgresRow) -> ChannelRecord {
        let visibility = UInt32(exactly: row.integer(1)).flatMap(Visibility.init(rawValue:)) ?? .private
        return ChannelRecord(
            name: row.text(0), visibility: visibility, createdBy: row.text(2), createdAtMs: row.integer(3))
    }

    /// The id of an existing channel; a missing one is a reference failure, hence `constraint`.
    private func channelID(of name: String) throws(StoreError) -> Int64 {
        guard let row = try connection.execute("SELECT id FROM channels WHERE name = $1", [.name(name)]).first else {
            throw StoreError(.constraint, "no channel named `\(name)`")
        }
        return row.integer(0)
    }

    // MARK: ACL and bans (the eight calls come from `UserListStore`)

    func contains(_ username: String, inChannel channel: String, table: UserListTable) throws(StoreError)
        -> Bool
    {
        try !connection.execute("""
            SELECT 1 FROM \(table.rawValue) AS t JOIN channels AS c ON c.id = t.channel_id
            WHERE c.name = $1 AND t.username = $2
            """, [.name(channel), .name(username)]
        ).isEmpty
    }

    func add(_ username: String, toChannel channel: String, table: UserListTable) throws(StoreError) {
        // A channel deleted between the lookup and the insert fails the foreign key: `constraint` too.
        let id = try channelID(of: channel)
        try connection.execute(
            "INSERT INTO \(table.rawValue) (channel_id, username) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            [.integer(id), .name(username)])
    }

    func remove(_ username: String, fromChannel channel: String, table: UserListTable) throws(StoreError) {
        try connection.execute("""
            DELETE FROM \(table.rawValue)
            WHERE channel_id = (SELECT id FROM channels WHERE name = $1) AND username = $2
            """, [.name(channel), .name(username)])
    }

    func list(_ channel: String, table: UserListTable) throws(StoreError) -> [String] {
        try connection.execute("""
            SELECT t.username FROM \(table.rawValue) AS t JOIN channels AS c ON c.id = t.channel_id
            WHERE c.name = $1 ORDER BY t.username
            """, [.name(channel)]
        ).map { $0.text(0) }
    }

    // MARK: Invites

    package func createInvite(_ invite: InviteRecord) throws(StoreError) {
        let id = try channelID(of: invite.channel)
        try connection.execute("""
            INSERT INTO invites (token, channel_id, uses_remaining, expires_at_ms, created_by)
            VALUES ($1, $2, $3, $4, $5)
            """, [
                .name(invite.token), .integer(id), invite.usesRemaining.map { .integer($0) },
                invite.expiresAtMs.map { .integer($0) }, .name(invite.createdBy),
            ])
    }

    package func invite(withToken token: String) throws(StoreError) -> InviteRecord? {
        try connection.execute("""
            SELECT i.token, c.name, i.uses_remaining, i.expires_at_ms, i.created_by
            FROM invites AS i JOIN channels AS c ON c.id = i.channel_id WHERE i.token = $1
            """, [.name(token)]
        ).first.map(Self.inviteRecord)
    }

    package func deleteInvite(withToken token: String) throws(StoreError) {
        try connection.execute("DELETE FROM invites WHERE token = $1", [.name(token)])
    }

    package func invites(ofChannel channel: String) throws(StoreError) -> [InviteRecord] {
        try connection.execute("""
            SELECT i.token, c.name, i.uses_remaining, i.expires_at_ms, i.created_by
            FROM invites AS i JOIN channels AS c ON c.id = i.channel_id WHERE c.name = $1 ORDER BY i.created_order
            """, [.name(channel)]
        ).map(Self.inviteRecord)
    }

    package func redeemInvite(_ token: String, forChannel channel: String, nowMs: Int64) throws(StoreError)
        -> Bool
    {
        try connection.transaction { () throws(StoreError) -> Bool in
            // Locks the invite, so that two servers cannot both take its last use.
            let row = try connection.execute("""
                SELECT i.token, c.name, i.uses_remaining, i.expires_at_ms, i.created_by
                FROM invites AS i JOIN channels AS c ON c.id = i.channel_id WHERE i.token = $1 FOR UPDATE OF i
                """, [.name(token)]
            ).first
            guard let invite = row.map(Self.inviteRecord), invite.channel == channel else { return false }
            if let expiresAtMs = invite.expiresAtMs, expiresAtMs <= nowMs {
                try deleteInvite(withToken: token)
                return false
            }
            guard let uses = invite.usesRemaining else { return true }
            guard uses > 0 else { return false }
            if uses == 1 {
                try deleteInvite(withToken: token)
            } else {
                try connection.execute(
                    "UPDATE invites SET uses_remaining = uses_remaining - 1 WHERE token = $1", [.name(token)])
            }
            return true
        }
    }

    private static func inviteRecord(_ row: PostgresRow) -> InviteRecord {
        InviteRecord(
            token: row.text(0), channel: row.text(1), usesRemaining: row.isNull(2) ? nil : row.integer(2),
            expiresAtMs: row.isNull(3) ? nil : row.integer(3), createdBy: row.text(4))
    }

    // MARK: History

    package func appendMessages(_ messages: [MessageRecord]) throws(StoreError) {
        lastAppendedSequences = nil
        guard !messages.isEmpty else { return }
        let count = Int64(messages.count)
        let last = try connection.transaction { () throws(StoreError) -> Int64 in
            // The row lock serialises appends across servers until commit, and the increment rolls back with a
            // failed transaction: numbers are gap-free and in commit order.
            let counter = try connection.execute(
                "UPDATE message_sequence SET last = last + $1 RETURNING last, last_ts_ms", [.integer(count)])[0]
            let last = counter.integer(0)
            // Stamps may follow numbers (see `stampsFollowSequence`): a server whose clock is behind then stamps
            // no earlier than the last message stored.
            var stamped = messages
            var latest = counter.integer(1)
            for index in stamped.indices {
                latest = max(latest, stamped[index].timeMs)
                if stampsFollowSequence { stamped[index].timeMs = latest }
            }
            var sequence = last - count + 1
            var start = stamped.startIndex
            while start < stamped.endIndex {
                let chunk = stamped[start..<min(start + Self.rowsPerInsert, stamped.endIndex)]
                try insert(chunk, firstSequence: sequence)
                sequence += Int64(chunk.count)
                start = chunk.endIndex
            }
            try connection.execute(
                "WITH stamp AS (UPDATE message_sequence SET last_ts_ms = $3) SELECT pg_notify($1, $2)",
                [.text(Self.notificationChannel), .text("\(last)"), .integer(latest)])
            return last
        }
        lastAppendedSequences = (last - count + 1)...last
    }

    /// Inserts `chunk` in one statement, numbered from `firstSequence`; a message to a missing channel fails it.
    private func insert(_ chunk: ArraySlice<MessageRecord>, firstSequence: Int64) throws(StoreError) {
        var parameters: [PostgresValue?] = [.text(origin)]
        var rows: [String] = []
        for (offset, message) in chunk.enumerated() {
            let base = parameters.count
            rows.append("($\(base + 1)::bigint, $\(base + 2)::bytea, $\(base + 3)::bytea, $\(base + 4)::bytea, "
                + "$\(base + 5)::bigint)")
            parameters += [
                .integer(firstSequence + Int64(offset)), .name(message.channel), .name(message.from),
                .bytes(message.payload), .integer(message.timeMs),
            ]
        }
        // The join drops a row whose channel is missing; the count tells.
        let inserted = try connection.execute("""
            INSERT INTO messages (seq, channel_id, origin, from_path, payload, ts_ms)
            SELECT v.seq, c.id, $1, v.from_path, v.payload, v.ts_ms
            FROM (VALUES \(rows.joined(separator: ", "))) AS v (seq, channel, from_path, payload, ts_ms)
            JOIN channels AS c ON c.name = v.channel
            """, parameters
        ).affectedRows
        guard inserted == chunk.count else {
            var missing = chunk[chunk.startIndex].channel
            for message in chunk where try channel(named: message.channel) == nil {
                missing = message.channel
                break
            }
            throw StoreError(.constraint, "no channel named `\(missing)`")
        }
    }

    package func messages(inChannel channel: String, after sinceMs: Int64, limit: Int) throws(StoreError)
        -> [MessageRecord]
    {
        guard limit > 0 else { return [] }
        return try connection.execute("""
            SELECT m.from_path, m.payload, m.ts_ms FROM messages AS m JOIN channels AS c ON c.id = m.channel_id
            WHERE c.name = $1 AND m.ts_ms > $2 ORDER BY m.ts_ms, m.seq LIMIT $3
            """, [.name(channel), .integer(sinceMs), .integer(Int64(limit))]
        ).map { row in
            MessageRecord(channel: channel, from: row.text(0), payload: row.bytes(1), timeMs: row.integer(2))
        }
    }

    /// Messages of every channel with a sequence number above `sequence`, in sequence (commit) order, at most
    /// `limit`: what a server following the log has not seen yet.
    package func messages(afterSequence sequence: Int64, limit: Int) throws(StoreError)
        -> [(sequence: Int64, origin: String, record: MessageRecord)]
    {
        guard limit > 0 else { return [] }
        return try connection.execute("""
            SELECT m.seq, m.origin, c.name, m.from_path, m.payload, m.ts_ms
            FROM messages AS m JOIN channels AS c ON c.id = m.channel_id
            WHERE m.seq > $1 ORDER BY m.seq LIMIT $2
            """, [.integer(sequence), .integer(Int64(limit))]
        ).map { row in
            let record = MessageRecord(
                channel: row.text(2), from: row.text(3), payload: row.bytes(4), timeMs: row.integer(5))
            return (row.integer(0), row.text(1), record)
        }
    }

    /// The highest sequence number assigned so far (0 before the first message), purged messages included.
    package func lastSequence() throws(StoreError) -> Int64 {
        try connection.execute("SELECT last FROM message_sequence")[0].integer(0)
    }

    package func purgeMessages(olderThan cutoffMs: Int64) throws(StoreError) -> Int {
        try connection.execute("DELETE FROM messages WHERE ts_ms < $1", [.integer(cutoffMs)]).affectedRows
    }
}

extension PostgresValue {
    /// A name, key, token or path, stored as `bytea` (PostgreSQL text cannot hold NUL).
    static func name(_ name: String) -> PostgresValue {
        .bytes(Array(name.utf8))
    }
}
