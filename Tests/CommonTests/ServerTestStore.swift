@testable import ConclaveServer
@testable import ConclaveStore
@testable import ConclaveWire

/// The real store (SQLite in memory) behind a switch that makes every call fail, to test how store
/// failures surface (§6.3), and one that makes only group commits of posts fail.
final class ServerTestStore: ServerStore {
    let base: SQLiteStore
    var failing: StoreError?
    var failingCommits: StoreError?
    /// The batches group commit asked to store, in order (failed ones excluded).
    var commits: [[MessageRecord]] = []
    var location: String { base.location }

    init() {
        do {
            base = try SQLiteStore(at: .memory)
        } catch {
            fatalError("in-memory store: \(error)")
        }
    }

    private func check() throws(StoreError) {
        if let failing { throw failing }
    }

    func instanceID() throws(StoreError) -> String {
        try check()
        return try base.instanceID()
    }

    func userExists(_ username: String) throws(StoreError) -> Bool {
        try check()
        return try base.userExists(username)
    }

    func registerUser(_ username: String, machine: String, publicKey: String, at timeMs: Int64) throws(StoreError) {
        try check()
        try base.registerUser(username, machine: machine, publicKey: publicKey, at: timeMs)
    }

    func machine(withPublicKey publicKey: String) throws(StoreError) -> MachineRecord? {
        try check()
        return try base.machine(withPublicKey: publicKey)
    }

    func machines(of username: String) throws(StoreError) -> [MachineRecord] {
        try check()
        return try base.machines(of: username)
    }

    func addMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64) throws(StoreError) {
        try check()
        try base.addMachine(name, of: username, publicKey: publicKey, at: timeMs)
    }

    func removeMachine(_ name: String, of username: String) throws(StoreError) -> MachineRecord? {
        try check()
        return try base.removeMachine(name, of: username)
    }

    func removeUser(_ username: String) throws(StoreError) -> [String] {
        try check()
        return try base.removeUser(username)
    }

    func usernames() throws(StoreError) -> [String] {
        try check()
        return try base.usernames()
    }

    func createChannel(_ name: String, visibility: Visibility, createdBy username: String, at timeMs: Int64)
        throws(StoreError) {
        try check()
        try base.createChannel(name, visibility: visibility, createdBy: username, at: timeMs)
    }

    func channel(named name: String) throws(StoreError) -> ChannelRecord? {
        try check()
        return try base.channel(named: name)
    }

    func channels() throws(StoreError) -> [ChannelRecord] {
        try check()
        return try base.channels()
    }

    func channels(withMembershipOf username: String) throws(StoreError) -> [(ChannelRecord, isMember: Bool)] {
        try check()
        return try base.channels(withMembershipOf: username)
    }

    func deleteChannel(_ name: String) throws(StoreError) {
        try check()
        try base.deleteChannel(name)
    }

    func renameChannel(_ name: String, to newName: String) throws(StoreError) {
        try check()
        try base.renameChannel(name, to: newName)
    }

    func setVisibility(_ visibility: Visibility, ofChannel name: String) throws(StoreError) {
        try check()
        try base.setVisibility(visibility, ofChannel: name)
    }

    func isMember(_ username: String, ofChannel channel: String) throws(StoreError) -> Bool {
        try check()
        return try base.isMember(username, ofChannel: channel)
    }

    func addMember(_ username: String, toChannel channel: String) throws(StoreError) {
        try check()
        try base.addMember(username, toChannel: channel)
    }

    func removeMember(_ username: String, fromChannel channel: String) throws(StoreError) {
        try check()
        try base.removeMember(username, fromChannel: channel)
    }

    func members(ofChannel channel: String) throws(StoreError) -> [String] {
        try check()
        return try base.members(ofChannel: channel)
    }

    func isBanned(_ username: String, fromChannel channel: String) throws(StoreError) -> Bool {
        try check()
        return try base.isBanned(username, fromChannel: channel)
    }

    func addBan(_ username: String, onChannel channel: String) throws(StoreError) {
        try check()
        try base.addBan(username, onChannel: channel)
    }

    func removeBan(_ username: String, fromChannel channel: String) throws(StoreError) {
        try check()
        try base.removeBan(username, fromChannel: channel)
    }

    func bans(ofChannel channel: String) throws(StoreError) -> [String] {
        try check()
        return try base.bans(ofChannel: channel)
    }

    func createInvite(_ invite: InviteRecord) throws(StoreError) {
        try check()
        try base.createInvite(invite)
    }

    func invite(withToken token: String) throws(StoreError) -> InviteRecord? {
        try check()
        return try base.invite(withToken: token)
    }

    func deleteInvite(withToken token: String) throws(StoreError) {
        try check()
        try base.deleteInvite(withToken: token)
    }

    func invites(ofChannel channel: String) throws(StoreError) -> [InviteRecord] {
        try check()
        return try base.invites(ofChannel: channel)
    }

    func redeemInvite(_ token: String, forChannel channel: String, nowMs: Int64) throws(StoreError) -> Bool {
        try check()
        return try base.redeemInvite(token, forChannel: channel, nowMs: nowMs)
    }

    func appendMessages(_ messages: [MessageRecord]) throws(StoreError) {
        try check()
        if let failingCommits { throw failingCommits }
        commits.append(messages)
        try base.appendMessages(messages)
    }

    func messages(inChannel channel: String, after sinceMs: Int64, limit: Int) throws(StoreError) -> [MessageRecord] {
        try check()
        return try base.messages(inChannel: channel, after: sinceMs, limit: limit)
    }

    func purgeMessages(olderThan cutoffMs: Int64) throws(StoreError) -> Int {
        try check()
        return try base.purgeMessages(olderThan: cutoffMs)
    }
}

/// Read-backs for assertions, through the store's own interface.
extension ServerTestStore {
    func members(_ channel: String) -> [String] { (try? base.members(ofChannel: channel)) ?? [] }
    func channelRecord(_ name: String) -> ChannelRecord? { try? base.channel(named: name) }
    func inviteRecord(_ token: String) -> InviteRecord? { try? base.invite(withToken: token) }
    func hasUser(_ name: String) -> Bool { (try? base.userExists(name)) ?? false }
    func allUsers() -> [String] { (try? base.usernames()) ?? [] }
    func machineRecords(of user: String) -> [MachineRecord] { (try? base.machines(of: user)) ?? [] }
    func rows(_ channel: String) -> [MessageRecord] {
        (try? base.messages(inChannel: channel, after: .min, limit: .max)) ?? []
    }
}
