import ConclaveWire

/// The server's durable state (PROTOCOL.md §6.1) behind one interface, so that dispatch never sees the engine.
///
/// Calls are synchronous and made from the server's single event-loop thread. Times are Unix epoch
/// milliseconds; formatting them as RFC 3339 is the caller's job. Public keys are b64u text (§5.1).
/// Every failure is a ``StoreError``; its text is what an `internal` reply carries (§6.3).
package protocol ServerStore: AnyObject {
    /// Where the state lives, for the server's start-up line: a file path, or a description.
    var location: String { get }

    /// The persistent instance id (24 random bytes as b64u), created on first use (§2.3).
    func instanceID() throws(StoreError) -> String

    // MARK: Users and machines

    func userExists(_ username: String) throws(StoreError) -> Bool
    /// Creates the user and its first machine in one transaction.
    func registerUser(_ username: String, machine: String, publicKey: String, at timeMs: Int64) throws(StoreError)
    /// The owner of an enrolled key, or `nil` when the key is not enrolled (never added, or removed).
    func machine(withPublicKey publicKey: String) throws(StoreError) -> MachineRecord?
    func machines(of username: String) throws(StoreError) -> [MachineRecord]
    /// Fails with ``StoreError/Code-swift.struct/constraint`` on a duplicate name (within the user) or key (anywhere).
    func addMachine(_ name: String, of username: String, publicKey: String, at timeMs: Int64) throws(StoreError)
    /// Removes the caller's machine; returns the removed record, or `nil` when there was none.
    func removeMachine(_ name: String, of username: String) throws(StoreError) -> MachineRecord?
    /// Deletes the user, every channel they created (with what cascades from it), their memberships
    /// elsewhere and their machines. Returns the names of the deleted channels. No error if absent.
    func removeUser(_ username: String) throws(StoreError) -> [String]
    func usernames() throws(StoreError) -> [String]

    // MARK: Channels

    /// Creates the channel with its creator as first ACL member. A duplicate name is a `constraint` error.
    func createChannel(_ name: String, visibility: Visibility, createdBy username: String, at timeMs: Int64)
        throws(StoreError)
    func channel(named name: String) throws(StoreError) -> ChannelRecord?
    /// Every channel, sorted by name.
    func channels() throws(StoreError) -> [ChannelRecord]
    /// Every channel, sorted by name, each with whether `username` is in its ACL: one query for `list_channels`.
    func channels(withMembershipOf username: String) throws(StoreError) -> [(ChannelRecord, isMember: Bool)]
    /// Deletes the channel with its ACL, invites, bans and history.
    func deleteChannel(_ name: String) throws(StoreError)
    /// Renames; ACL, invites, bans and history follow. A taken `newName` is a `constraint` error.
    func renameChannel(_ name: String, to newName: String) throws(StoreError)
    func setVisibility(_ visibility: Visibility, ofChannel name: String) throws(StoreError)

    // MARK: ACL and bans

    func isMember(_ username: String, ofChannel channel: String) throws(StoreError) -> Bool
    /// Adding an existing member changes nothing.
    func addMember(_ username: String, toChannel channel: String) throws(StoreError)
    func removeMember(_ username: String, fromChannel channel: String) throws(StoreError)
    func members(ofChannel channel: String) throws(StoreError) -> [String]
    func isBanned(_ username: String, fromChannel channel: String) throws(StoreError) -> Bool
    func addBan(_ username: String, onChannel channel: String) throws(StoreError)
    func removeBan(_ username: String, fromChannel channel: String) throws(StoreError)
    func bans(ofChannel channel: String) throws(StoreError) -> [String]

    // MARK: Invites

    func createInvite(_ invite: InviteRecord) throws(StoreError)
    func invite(withToken token: String) throws(StoreError) -> InviteRecord?
    func deleteInvite(withToken token: String) throws(StoreError)
    func invites(ofChannel channel: String) throws(StoreError) -> [InviteRecord]
    /// Redeems atomically (§6.6): the token must exist and belong to `channel`; an expired one
    /// (`expiresAtMs <= nowMs`) is deleted and refused; an unlimited one is not consumed; a limited one
    /// loses one use, and the use that brings it to 0 deletes it; none left refuses.
    func redeemInvite(_ token: String, forChannel channel: String, nowMs: Int64) throws(StoreError) -> Bool

    // MARK: History

    /// Appends the messages of one group commit in one transaction, in order: all are stored or none is.
    /// A message to a channel that does not exist is a `constraint` error and fails them all. Each `payload`
    /// is the bincode encoding of the `Payload` value, stored opaque. It returns once the transaction has
    /// committed with the store's durability (``SyncMode``).
    func appendMessages(_ messages: [MessageRecord]) throws(StoreError)
    /// Rows with `timeMs > sinceMs`, oldest first (ties in insertion order), at most `limit`.
    func messages(inChannel channel: String, after sinceMs: Int64, limit: Int) throws(StoreError) -> [MessageRecord]
    /// Deletes rows older than `cutoffMs`; returns how many.
    func purgeMessages(olderThan cutoffMs: Int64) throws(StoreError) -> Int
}

/// How far a commit goes before it returns.
package enum SyncMode: String, Hashable, Sendable, CaseIterable {
    /// Written to the operating system: survives the process being killed, not a power cut.
    case normal
    /// Also flushed to the disk (fsync): survives a power cut.
    case full
}

/// One machine of a user: the Ed25519 public key (base64url) it authenticates with.
package struct MachineRecord: Hashable, Sendable {
    /// The user the machine belongs to.
    package var username: String
    /// The machine's name, unique within its user.
    package var name: String
    /// The Ed25519 public key, base64url without padding.
    package var publicKey: String
    /// When it was added, in Unix milliseconds.
    package var addedAtMs: Int64

    package init(username: String, name: String, publicKey: String, addedAtMs: Int64) {
        self.username = username
        self.name = name
        self.publicKey = publicKey
        self.addedAtMs = addedAtMs
    }
}

/// A channel as stored; members, bans and invites are kept apart.
package struct ChannelRecord: Hashable, Sendable {
    /// The channel's name, unique on the server.
    package var name: String
    /// Who may see and join it.
    package var visibility: Visibility
    /// The username of the creator, who administers the channel.
    package var createdBy: String
    /// When it was created, in Unix milliseconds.
    package var createdAtMs: Int64

    package init(name: String, visibility: Visibility, createdBy: String, createdAtMs: Int64) {
        self.name = name
        self.visibility = visibility
        self.createdBy = createdBy
        self.createdAtMs = createdAtMs
    }
}

/// An invite token to a channel, with its remaining uses and expiry.
package struct InviteRecord: Hashable, Sendable {
    /// The secret a joiner presents.
    package var token: String
    /// The channel it admits to.
    package var channel: String
    /// `nil` means unlimited.
    package var usesRemaining: Int64?
    /// `nil` means never.
    package var expiresAtMs: Int64?
    /// The username that made the invite.
    package var createdBy: String

    package init(token: String, channel: String, usesRemaining: Int64?, expiresAtMs: Int64?, createdBy: String) {
        self.token = token
        self.channel = channel
        self.usesRemaining = usesRemaining
        self.expiresAtMs = expiresAtMs
        self.createdBy = createdBy
    }
}

/// One message of a channel's history, payload kept in its wire encoding so history replays byte for byte.
package struct MessageRecord: Hashable, Sendable {
    /// The channel it was posted to.
    package var channel: String
    /// The sender's path in text form.
    package var from: String
    /// The bincode encoding of the `Payload`.
    package var payload: [UInt8]
    /// When the server accepted it, in Unix milliseconds.
    package var timeMs: Int64

    package init(channel: String, from: String, payload: [UInt8], timeMs: Int64) {
        self.channel = channel
        self.from = from
        self.payload = payload
        self.timeMs = timeMs
    }
}

/// A store failure. Its description is the store's own text, as carried in an `internal` reply.
package struct StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    package struct Code: Hashable, Sendable {
        private let rawValue: Int
        private init(rawValue: Int) { self.rawValue = rawValue }
        /// A uniqueness or reference constraint failed (duplicate name, key or token).
        package static let constraint = Code(rawValue: 1)
        /// The database could not be opened, created or migrated.
        package static let unavailable = Code(rawValue: 2)
        /// Any other engine failure.
        package static let engine = Code(rawValue: 3)
    }

    /// What kind of failure this is.
    package var code: Code
    /// The engine's text, naming the table or constraint where it has one.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
