import ConclaveStore
import ConclaveWire

/// Admin operations (PROTOCOL.md §6.6–6.7), each with its permission rule and exact texts.
extension ServerCore {
    static let inviteTokenLength = 24

    func administer(_ op: AdminOp, from connection: Connection, at path: SessionPath,
                    dropsAfterReply: inout [(Connection, DropReason)]) throws(Refusal) -> ProtocolMessage {
        let user = path.user
        switch op {
        case let .createChannel(name, visibility):
            try requireName(name, "invalid channel name")
            let nowMs = clock.wallMs()
            try stored { try store.createChannel(name, visibility: visibility, createdBy: user, at: nowMs) }
            return .ack(detail: name)

        case let .deleteChannel(name):
            try requireChannelAdmin(name, as: user)
            try stored { try store.deleteChannel(name) }
            sessions.unsubscribeAll(from: name)
            try broadcast(.channelDeleted(name))
            return .ack(detail: name)

        case let .renameChannel(name, newName):
            try requireName(newName, "invalid channel name")
            try requireChannelAdmin(name, as: user)
            try stored { try store.renameChannel(name, to: newName) }
            sessions.moveSubscriptions(from: name, to: newName)
            try broadcast(.channelRenamed(from: name, to: newName))
            return .ack(detail: newName)

        case let .setVisibility(name, visibility):
            try requireChannelAdmin(name, as: user)
            try stored { try store.setVisibility(visibility, ofChannel: name) }
            return .ack(detail: name)

        case let .aclAdd(channel, member):
            try requireNameLength(member, "invalid username")
            try requireChannelAdmin(channel, as: user)
            try stored { try store.addMember(member, toChannel: channel) }
            try stored { try store.removeBan(member, fromChannel: channel) }
            return .ack(detail: member)

        case let .aclRemove(channel, member):
            try requireChannelAdmin(channel, as: user)
            try stored { try store.removeMember(member, fromChannel: channel) }
            unsubscribe(user: member, from: channel)
            try broadcast(.userUnsubscribed(user: member, channel: channel))
            return .ack(detail: member)

        case let .aclList(channel):
            try requireChannelAdmin(channel, as: user)
            return .userList(users: try stored { try store.members(ofChannel: channel) })

        case let .inviteCreate(channel, uses, expiresInSecs):
            try requireChannelAdmin(channel, as: user)
            return try createInvite(for: channel, uses: uses, expiresInSecs: expiresInSecs, by: user)

        case let .inviteRevoke(token):
            // Always acked (§10 item 21); deleted only by a channel admin of the token's channel.
            if let invite = try stored({ try store.invite(withToken: token) }),
               let record = try stored({ try store.channel(named: invite.channel) }),
               record.createdBy == user || admins.contains(user) {
                try stored { try store.deleteInvite(withToken: token) }
            }
            return .ack(detail: token)

        case let .inviteList(channel):
            try requireChannelAdmin(channel, as: user)
            let invites = try stored { try store.invites(ofChannel: channel) }
            return .inviteList(invites: invites.map {
                InviteInfo(token: $0.token, usesRemaining: $0.usesRemaining,
                           expiresAt: $0.expiresAtMs.map { RFC3339.format(milliseconds: $0) })
            })

        case let .kick(channel, target):
            try requireChannelAdmin(channel, as: user)
            if let targetPath = try? SessionPath(parsing: target) {
                if let session = sessions.session(at: targetPath) { sessions.unsubscribe(session, from: channel) }
                try broadcast(.pathUnsubscribed(path: target, channel: channel))
            } else {
                unsubscribe(user: target, from: channel)
                try broadcast(.userUnsubscribed(user: target, channel: channel))
            }
            return .ack(detail: target)

        case let .ban(channel, banned):
            try requireNameLength(banned, "invalid username")
            try requireChannelAdmin(channel, as: user)
            try stored { try store.removeMember(banned, fromChannel: channel) }
            try stored { try store.addBan(banned, onChannel: channel) }
            unsubscribe(user: banned, from: channel)
            try broadcast(.userUnsubscribed(user: banned, channel: channel))
            return .ack(detail: banned)

        case let .unban(channel, banned):
            try requireChannelAdmin(channel, as: user)
            try stored { try store.removeBan(banned, fromChannel: channel) }
            return .ack(detail: banned)

        case let .banList(channel):
            try requireChannelAdmin(channel, as: user)
            return .userList(users: try stored { try store.bans(ofChannel: channel) })

        case let .userRemove(username):
            guard admins.contains(user) else { throw .adminRoleRequired }
            for channel in try stored({ try store.removeUser(username) }) {
                sessions.unsubscribeAll(from: channel)
                try broadcast(.channelDeleted(channel))
            }
            try broadcast(.userRemoved(username))
            dropsAfterReply += sessions.sessions(ofUser: username).map { ($0, .userRemoved) }
            return .ack(detail: username)

        case let .machineRemove(name):
            _ = try stored { try store.removeMachine(name, of: user) }
            try broadcast(.machineRemoved(user: user, machine: name))
            dropsAfterReply += sessions.sessions(ofUser: user).filter { $0.path?.machine == name }
                .map { ($0, .machineRevoked) }
            return .ack(detail: name)

        case let .machineAdd(name, pubkey):
            try requireName(name, "invalid machine name")
            // Upstream stores any length; a key that is not 32 bytes could never authenticate (§5.3 step 5),
            // so it is refused here with the handshake's own text.
            guard pubkey.count == 32 else {
                throw .malformedFrame("malformed key or signature: public key must be 32 bytes")
            }
            let nowMs = clock.wallMs()
            try stored { try store.addMachine(name, of: user, publicKey: Base64URL.encode(pubkey), at: nowMs) }
            return .ack(detail: name)
        }
    }

    /// §6.6: a token of 24 random bytes; the expiry must be representable as RFC 3339.
    private func createInvite(for channel: String, uses: UInt32?, expiresInSecs: UInt64?, by user: String)
        throws(Refusal) -> ProtocolMessage {
        let nowMs = clock.wallMs()
        var expiresAtMs: Int64?
        if let expiresInSecs {
            guard let expiry = Self.inviteExpiry(nowMs: nowMs, afterSeconds: expiresInSecs) else {
                throw .malformedFrame("invite expiry is too far in the future")
            }
            expiresAtMs = expiry
        }
        let bytes = random(Self.inviteTokenLength)
        guard bytes.count == Self.inviteTokenLength else {
            throw Refusal(error: .internal("could not generate an invite token"))
        }
        let token = Base64URL.encode(bytes)
        let invite = InviteRecord(
            token: token, channel: channel, usesRemaining: uses.map(Int64.init), expiresAtMs: expiresAtMs,
            createdBy: user)
        try stored { try store.createInvite(invite) }
        return .inviteToken(token: token)
    }

    /// `now + seconds` in ms, or `nil` when that overflows or passes year 9999 (the last instant RFC 3339's
    /// four-digit year can name; upstream's chrono allows a larger range, but clients parse RFC 3339).
    static func inviteExpiry(nowMs: Int64, afterSeconds seconds: UInt64) -> Int64? {
        guard seconds <= UInt64(Int64.max) else { return nil }
        let (offsetMs, overflowed) = Int64(seconds).multipliedReportingOverflow(by: 1000)
        guard !overflowed else { return nil }
        let (expiry, overflowedSum) = nowMs.addingReportingOverflow(offsetMs)
        guard !overflowedSum, expiry <= RFC3339.latestRepresentableMs else { return nil }
        return expiry
    }

    /// The CA check of §6.7: a missing channel is `not_found`; a caller who is neither its creator nor a
    /// server admin is `unauthorized`.
    @discardableResult
    private func requireChannelAdmin(_ channel: String, as user: String) throws(Refusal) -> ChannelRecord {
        guard let record = try stored({ try store.channel(named: channel) }) else {
            throw .notFound("channel `\(channel)` not found")
        }
        guard record.createdBy == user || admins.contains(user) else { throw .adminRoleRequired }
        return record
    }

    /// Silently unsubscribes every live session of `user` from `channel` (kick, ban, acl_remove).
    func unsubscribe(user: String, from channel: String) {
        for session in sessions.subscribers(of: channel) where session.path?.user == user {
            sessions.unsubscribe(session, from: channel)
        }
    }
}
