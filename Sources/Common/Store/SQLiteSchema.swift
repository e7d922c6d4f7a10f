/// The store's schema as an ordered list of migrations; `PRAGMA user_version` records how many are applied.
///
/// To change the schema, append a new script to ``migrations``; never edit one that has shipped, since
/// existing databases have already run it. Each script runs in its own transaction together with the
/// version bump, so a database is always at exactly one version.
enum SQLiteSchema {
    /// `migrations[i]` takes a database from version `i` to version `i + 1`.
    static let migrations: [String] = [version1]

    /// The version a fully migrated database is at.
    static var currentVersion: Int { migrations.count }

    /// Brings the database up to ``currentVersion``; refuses a database from a newer build.
    static func migrate(_ connection: SQLiteConnection) throws(StoreError) {
        var applied = true
        while applied {
            applied = try connection.transaction { () throws(StoreError) -> Bool in
                // Read inside the write transaction: two processes opening one new file cannot both apply a step.
                let found = try version(of: connection)
                guard found >= 0 else {
                    throw StoreError(.unavailable, "database schema version \(found) is not a valid version")
                }
                guard found <= currentVersion else {
                    throw StoreError(
                        .unavailable,
                        "database schema version \(found) is newer than this build supports (\(currentVersion))")
                }
                guard found < currentVersion else { return false }
                try connection.execute(migrations[found])
                // PRAGMA takes no bound parameters; the value is our own integer.
                try connection.execute("PRAGMA user_version = \(found + 1)")
                return true
            }
        }
    }

    static func version(of connection: SQLiteConnection) throws(StoreError) -> Int {
        let version = try connection.prepare("PRAGMA user_version").firstRow([]) { $0.integer(0) }
        return Int(version ?? 0)
    }

    /// Channels are referenced by an integer id, so a rename is one UPDATE and the children (ACL, bans,
    /// invites, history) follow without being rewritten; deleting a channel cascades to all of them.
    /// Usernames in the ACL, bans and invites are not foreign keys: `acl_add` may name a user who does not
    /// exist (PROTOCOL.md §6.7), and a ban outlives the banned account. `messages_by_time` serves the
    /// hourly retention sweep, which would otherwise scan all history.
    private static let version1 = """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY NOT NULL,
            value TEXT NOT NULL
        ) STRICT;

        CREATE TABLE users (
            username TEXT PRIMARY KEY NOT NULL,
            created_at_ms INTEGER NOT NULL
        ) STRICT;

        CREATE TABLE machines (
            username TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
            name TEXT NOT NULL,
            public_key TEXT NOT NULL UNIQUE,
            added_at_ms INTEGER NOT NULL,
            PRIMARY KEY (username, name)
        ) STRICT;

        CREATE TABLE channels (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            visibility INTEGER NOT NULL CHECK (visibility IN (0, 1, 2)),
            created_by TEXT NOT NULL,
            created_at_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX channels_by_creator ON channels (created_by);

        CREATE TABLE memberships (
            channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE ON UPDATE CASCADE,
            username TEXT NOT NULL,
            PRIMARY KEY (channel_id, username)
        ) STRICT, WITHOUT ROWID;
        CREATE INDEX memberships_by_user ON memberships (username);

        CREATE TABLE bans (
            channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE ON UPDATE CASCADE,
            username TEXT NOT NULL,
            PRIMARY KEY (channel_id, username)
        ) STRICT, WITHOUT ROWID;

        CREATE TABLE invites (
            token TEXT PRIMARY KEY NOT NULL,
            channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE ON UPDATE CASCADE,
            uses_remaining INTEGER,
            expires_at_ms INTEGER,
            created_by TEXT NOT NULL
        ) STRICT;
        CREATE INDEX invites_by_channel ON invites (channel_id);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            channel_id INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE ON UPDATE CASCADE,
            from_path TEXT NOT NULL,
            payload BLOB NOT NULL,
            ts_ms INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX messages_by_channel_time ON messages (channel_id, ts_ms, id);
        CREATE INDEX messages_by_time ON messages (ts_ms);
        """
}
