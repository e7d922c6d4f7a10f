/// The ACL and the ban list have the same shape, (channel, username) pairs, so a store implements four operations
/// on either table and gets the eight ``ServerStore`` calls on them from here.
protocol UserListStore: ServerStore {
    func contains(_ username: String, inChannel channel: String, table: UserListTable) throws(StoreError) -> Bool
    /// Adding an existing pair changes nothing; a missing channel is an error.
    func add(_ username: String, toChannel channel: String, table: UserListTable) throws(StoreError)
    func remove(_ username: String, fromChannel channel: String, table: UserListTable) throws(StoreError)
    /// The usernames of `channel`'s pairs, sorted.
    func list(_ channel: String, table: UserListTable) throws(StoreError) -> [String]
}

/// The two tables of (channel, username) pairs; the raw value is the table's name in both schemas.
enum UserListTable: String {
    case memberships
    case bans
}

extension UserListStore {
    package func isMember(_ username: String, ofChannel channel: String) throws(StoreError) -> Bool {
        try contains(username, inChannel: channel, table: .memberships)
    }

    package func addMember(_ username: String, toChannel channel: String) throws(StoreError) {
        try add(username, toChannel: channel, table: .memberships)
    }

    package func removeMember(_ username: String, fromChannel channel: String) throws(StoreError) {
        try remove(username, fromChannel: channel, table: .memberships)
    }

    package func members(ofChannel channel: String) throws(StoreError) -> [String] {
        try list(channel, table: .memberships)
    }

    package func isBanned(_ username: String, fromChannel channel: String) throws(StoreError) -> Bool {
        try contains(username, inChannel: channel, table: .bans)
    }

    package func addBan(_ username: String, onChannel channel: String) throws(StoreError) {
        try add(username, toChannel: channel, table: .bans)
    }

    package func removeBan(_ username: String, fromChannel channel: String) throws(StoreError) {
        try remove(username, fromChannel: channel, table: .bans)
    }

    package func bans(ofChannel channel: String) throws(StoreError) -> [String] {
        try list(channel, table: .bans)
    }
}
