@testable import Common

/// An in-memory ``ServerStore`` for the dispatch tests, with the interface's documented semantics.
/// `failing` makes every call throw, to test how store failures surface.
final class ServerTestStore: ServerStore {
    struct Channel {
        var record: ChannelRecord
        var members: [String] = []
        var bans: [String] = []
    }

    var users: [String: Int64] = [:]
    var machineRecords: [MachineRecord] = []
    var channelTable: [String: Channel] = [:]
    var inviteTable: [String: InviteRecord] = [:]
    var messageRows: [MessageRecord] = []
    var failing: StoreError?

    private func check() throws(StoreError) {
        if let failing { throw failing }
    }

    private func existing(_ channel: String) throws(StoreError) -> Channel {
        guard let found = channelTable[channel] else { throw StoreError(.engine, "no channel \(channel)") }
        return found
    }

    func instanceID() throws(StoreError) -> String {
        try check()
        return "test-instance"
    }

    func userExists(_ username: String) throws(StoreError) -> Bool {
        try check()
        return users[username] != nil
    }

    func registerUser(_ username: String, machine: String, publicKey: String, at timeMs: Int64) throws(StoreError) {
        try check()
        guard users[username] == nil else { throw StoreError(.constraint, "UNIQUE constraint failed: users.name") }
        guard !machineRecords.contains(where: { $0.publicKey == publicKey }) else {
            throw StoreError(.constraint, "UNIQUE constraint failed: machines.public_key")
        }
        users[username] = timeMs
        machineRecords.append(MachineRecord(username: username, name: machine, publicKey: publicKey, addedAtMs: timeMs))
    }

    func machine(withPublicKey publicKey: String) throws(StoreError) -> MachineRecord? {
        try check()
        return machineRecords.first { $0.publicKey == publicKey }
    }

    func machines(of username: String) throws(StoreError) -> [MachineRecord] {
        try check()
        return machineRecords.filter { $0.username == username }
    }

    func addMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64) throws(StoreError) {
        try check()
        if machineRecords.contains(where: { $0.username == username && $0.name == name }) {
            throw StoreError(.constraint, "UNIQUE constraint failed: machines.user, machines.name")
        }
        if machineRecords.contains(where: { $0.publicKey == publicKey }) {
            throw StoreError(.constraint, "UNIQUE constraint failed: machines.public_key")
        }
        machineRecords.append(MachineRecord(username: username, name: name, publicKey: publicKey, addedAtMs: timeMs))
    }

    func removeMachine(_ name: String, of username: String) throws(StoreError) -> MachineRecord? {
        try check()
        guard let index = machineRecords.firstIndex(where: { $0.username == username && $0.name == name }) else {
            return nil
        }
        return machineRecords.remove(at: index)
    }

    func removeUser(_ username: String) throws(StoreError) -> [String] {
        try check()
        let owned = channelTable.values.filter { $0.record.createdBy == username }.map(\.record.name).sorted()
        for name in owned { try deleteChannel(name) }
        for name in channelTable.keys { channelTable[name]?.members.removeAll { $0 == username } }
        machineRecords.removeAll { $0.username == username }
        users[username] = nil
        return owned
    }

    func usernames() throws(StoreError) -> [String] {
        try check()
        return users.keys.sorted()
    }

    func createChannel(_ name: String, visibility: Visibility, createdBy username: String, at timeMs: Int64)
        throws(StoreError) {
        try check()
        guard channelTable[name] == nil else { throw StoreError(.constraint, "UNIQUE constraint failed: channels.name") }
        let record = ChannelRecord(name: name, visibility: visibility, createdBy: username, createdAtMs: timeMs)
        channelTable[name] = Channel(record: record, members: [username])
    }

    func channel(named name: String) throws(StoreError) -> ChannelRecord? {
        try check()
        return channelTable[name]?.record
    }

    func channels() throws(StoreError) -> [ChannelRecord] {
        try check()
        return channelTable.values.map(\.record).sorted { $0.name < $1.name }
    }

    func deleteChannel(_ name: String) throws(StoreError) {
        try check()
        channelTable[name] = nil
        inviteTable = inviteTable.filter { $0.value.channel != name }
        messageRows.removeAll { $0.channel == name }
    }

    func renameChannel(_ name: String, to newName: String) throws(StoreError) {
        try check()
        guard channelTable[newName] == nil else {
            throw StoreError(.constraint, "UNIQUE constraint failed: channels.name")
        }
        var channel = try existing(name)
        channel.record.name = newName
        channelTable[name] = nil
        channelTable[newName] = channel
        for (token, invite) in inviteTable where invite.channel == name { inviteTable[token]?.channel = newName }
        for index in messageRows.indices where messageRows[index].channel == name {
            messageRows[index].channel = newName
        }
    }

    func setVisibility(_ visibility: Visibility, ofChannel name: String) throws(StoreError) {
        try check()
        _ = try existing(name)
        channelTable[name]?.record.visibility = visibility
    }

    func isMember(_ username: String, ofChannel channel: String) throws(StoreError) -> Bool {
        try check()
        return channelTable[channel]?.members.contains(username) ?? false
    }

    func addMember(_ username: String, toChannel channel: String) throws(StoreError) {
        try check()
        guard try !isMember(username, ofChannel: channel) else { return }
        _ = try existing(channel)
        channelTable[channel]?.members.append(username)
    }

    func removeMember(_ username: String, fromChannel channel: String) throws(StoreError) {
        try check()
        channelTable[channel]?.members.removeAll { $0 == username }
    }

    func members(ofChannel channel: String) throws(StoreError) -> [String] {
        try check()
        return channelTable[channel]?.members ?? []
    }

    func isBanned(_ username: String, fromChannel channel: String) throws(StoreError) -> Bool {
        try check()
        return channelTable[channel]?.bans.contains(username) ?? false
    }

    func addBan(_ username: String, onChannel channel: String) throws(StoreError) {
        try check()
        guard try !isBanned(username, fromChannel: channel) else { return }
        _ = try existing(channel)
        channelTable[channel]?.bans.append(username)
    }

    func removeBan(_ username: String, fromChannel channel: String) throws(StoreError) {
        try check()
        channelTable[channel]?.bans.removeAll { $0 == username }
    }

    func bans(ofChannel channel: String) throws(StoreError) -> [String] {
        try check()
        return channelTable[channel]?.bans ?? []
    }

    func createInvite(_ invite: InviteRecord) throws(StoreError) {
        try check()
        guard inviteTable[invite.token] == nil else { throw StoreError(.constraint, "UNIQUE constraint failed") }
        inviteTable[invite.token] = invite
    }

    func invite(withToken token: String) throws(StoreError) -> InviteRecord? {
        try check()
        return inviteTable[token]
    }

    func deleteInvite(withToken token: String) throws(StoreError) {
        try check()
        inviteTable[token] = nil
    }

    func invites(ofChannel channel: String) throws(StoreError) -> [InviteRecord] {
        try check()
        return inviteTable.values.filter { $0.channel == channel }.sorted { $0.token < $1.token }
    }

    func redeemInvite(_ token: String, forChannel channel: String, nowMs: Int64) throws(StoreError) -> Bool {
        try check()
        guard let invite = inviteTable[token], invite.channel == channel else { return false }
        if let expiry = invite.expiresAtMs, expiry <= nowMs {
            inviteTable[token] = nil
            return false
        }
        guard let uses = invite.usesRemaining else { return true }
        guard uses > 0 else { return false }
        if uses == 1 { inviteTable[token] = nil } else { inviteTable[token]?.usesRemaining = uses - 1 }
        return true
    }

    func appendMessage(toChannel channel: String, from path: String, payload: [UInt8], at timeMs: Int64)
        throws(StoreError) {
        try check()
        messageRows.append(MessageRecord(channel: channel, from: path, payload: payload, timeMs: timeMs))
    }

    func messages(inChannel channel: String, after sinceMs: Int64, limit: Int) throws(StoreError) -> [MessageRecord] {
        try check()
        let rows = messageRows.enumerated().filter { $0.element.channel == channel && $0.element.timeMs > sinceMs }
        let ordered = rows.sorted { ($0.element.timeMs, $0.offset) < ($1.element.timeMs, $1.offset) }
        return Array(ordered.prefix(limit).map(\.element))
    }

    func purgeMessages(olderThan cutoffMs: Int64) throws(StoreError) -> Int {
        try check()
        let before = messageRows.count
        messageRows.removeAll { $0.timeMs < cutoffMs }
        return before - messageRows.count
    }
}
