/// The PostgreSQL store's schema as an ordered list of migrations; the one-row `schema_version` table records how
/// many are applied.
///
/// To change the schema, append a script to ``migrations``; never edit one that has shipped. Migrating runs in one
/// transaction that first takes a transaction-scoped advisory lock, so servers of one deployment starting at once
/// apply each step exactly once, and the others find the schema current when the lock is theirs.
enum PostgresSchema {
    /// `migrations[i]` takes a database from version `i` to version `i + 1`.
    static let migrations: [String] = [version1, version2]

    /// The version a fully migrated database is at.
    static var currentVersion: Int { migrations.count }

    /// The advisory lock key that serialises migrations: "conclave" in ASCII, so no other application's key
    /// collides by chance.
    static let migrationLockKey: Int64 = 0x636f_6e63_6c61_7665

    /// Brings the database up to ``currentVersion``; refuses a database from a newer build.
    static func migrate(_ connection: PostgresConnection) throws(StoreError) {
        try connection.transaction { () throws(StoreError) in
            try connection.execute("SELECT pg_advisory_xact_lock($1)", [.integer(migrationLockKey)])
            try connection.executeScript("""
                CREATE TABLE IF NOT EXISTS schema_version (
                    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                    version bigint NOT NULL
                );
                INSERT INTO schema_version (version) VALUES (0) ON CONFLICT DO NOTHING;
                """)
            let found = Int(try connection.execute("SELECT version FROM schema_version")[0].integer(0))
            guard found >= 0 else {
                throw StoreError(.unavailable, "database schema version \(found) is not a valid version")
            }
            guard found <= currentVersion else {
                throw StoreError(
                    .unavailable,
                    "database schema version \(found) is newer than this build supports (\(currentVersion))")
            }
            for migration in migrations[found...] {
                try connection.executeScript(migration)
            }
            try connection.execute("UPDATE schema_version SET version = $1", [.integer(Int64(currentVersion))])
        }
    }

    /// The version recorded in the database.
    static func version(of connection: PostgresConnection) throws(StoreError) -> Int {
        Int(try connection.execute("SELECT version FROM schema_version")[0].integer(0))
    }

    /// The SQLite schema's shape (see `SQLiteSchema`), with these differences. Names, keys, tokens and paths are
    /// `bytea`: PostgreSQL text cannot hold the NUL bytes the protocol allows, and `bytea` sorts byte-wise as SQLite
    /// does. Invites keep their creation order in `created_order`. Messages carry a gap-free, commit-ordered `seq`
    /// from the one-row `message_sequence` (whose row lock serialises appends across servers), and the `origin` of
    /// the server that stored them, so that other servers of a deployment can follow the log.
    private static let version1 = """
        CREATE TABLE meta (
            key text PRIMARY KEY,
            value text NOT NULL
        );

        CREATE TABLE users (
            username bytea PRIMARY KEY,
            created_at_ms bigint NOT NULL
        );

        CREATE TABLE machines (
            username bytea NOT NULL REFERENCES users (username) ON DELETE CASCADE ON UPDATE CASCADE,
            name bytea NOT NULL,
            public_key bytea NOT NULL UNIQUE,
            added_at_ms bigint NOT NULL,
            PRIMARY KEY (username, name)
        );

        CREATE TABLE channels (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            name bytea NOT NULL UNIQUE,
            visibility integer NOT NULL CHECK (visibility IN (0, 1, 2)),
            created_by bytea NOT NULL,
            created_at_ms bigint NOT NULL
        );
        CREATE INDEX channels_by_creator ON channels (created_by);

        CREATE TABLE memberships (
            channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
            username bytea NOT NULL,
            PRIMARY KEY (channel_id, username)
        );
        CREATE INDEX memberships_by_user ON memberships (username);

        CREATE TABLE bans (
            channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
            username bytea NOT NULL,
            PRIMARY KEY (channel_id, username)
        );

        CREATE TABLE invites (
            token bytea PRIMARY KEY,
            channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
            uses_remaining bigint,
            expires_at_ms bigint,
            created_by bytea NOT NULL,
            created_order bigint GENERATED ALWAYS AS IDENTITY
        );
        CREATE INDEX invites_by_channel ON invites (channel_id, created_order);

        CREATE TABLE message_sequence (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            last bigint NOT NULL
        );
        INSERT INTO message_sequence (last) VALUES (0);

        CREATE TABLE messages (
            seq bigint PRIMARY KEY,
            channel_id bigint NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
            origin text NOT NULL,
            from_path bytea NOT NULL,
            payload bytea NOT NULL,
            ts_ms bigint NOT NULL
        );
        CREATE INDEX messages_by_channel_time ON messages (channel_id, ts_ms, seq);
        CREATE INDEX messages_by_time ON messages (ts_ms);
        """

    /// What the instances of a deployment share (``PostgresCluster``): instances and their heartbeats, presence
    /// and subscriptions (names are `bytea`, as above), the event log with its own gap-free counter. And the
    /// message counter's latest timestamp, so that stamps never go back as numbers go up: history is ordered by
    /// time, and live delivery by number, and with several servers' clocks only this keeps them the same.
    private static let version2 = """
        ALTER TABLE message_sequence ADD COLUMN last_ts_ms bigint NOT NULL DEFAULT 0;

        CREATE TABLE cluster_instances (
            id text PRIMARY KEY,
            seen_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE cluster_presence (
            path bytea PRIMARY KEY,
            username bytea NOT NULL,
            machine bytea NOT NULL,
            instance text NOT NULL REFERENCES cluster_instances (id) ON DELETE CASCADE,
            generation bigint NOT NULL
        );
        CREATE INDEX cluster_presence_by_user ON cluster_presence (username, machine);
        CREATE SEQUENCE cluster_generation;

        CREATE TABLE cluster_subscriptions (
            path bytea NOT NULL REFERENCES cluster_presence (path) ON DELETE CASCADE,
            channel bytea NOT NULL,
            username bytea NOT NULL,
            PRIMARY KEY (path, channel)
        );
        CREATE INDEX cluster_subscriptions_by_channel ON cluster_subscriptions (channel, username);

        CREATE TABLE cluster_event_sequence (
            singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
            last bigint NOT NULL
        );
        INSERT INTO cluster_event_sequence (last) VALUES (0);

        CREATE TABLE cluster_events (
            seq bigint PRIMARY KEY,
            origin text NOT NULL,
            target text,
            body bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        """
}
