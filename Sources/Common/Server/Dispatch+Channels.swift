import ConclaveWire

/// Presence, membership and discovery (PROTOCOL.md §6.4).
extension ServerCore {
    func join(_ channel: String, token: String?, connection: Connection, as path: SessionPath)
        throws(Refusal) -> ProtocolMessage {
        guard let record = try stored({ try store.channel(named: channel) }) else {
            throw .notFound("channel `\(channel)`")
        }
        // Single-threaded, so this check is atomic with the subscription below (step 5).
        if try stored({ try store.isBanned(path.user, fromChannel: channel) }) {
            throw .unauthorized("channel `\(channel)` is private")
        }
        let isMember = try stored { try store.isMember(path.user, ofChannel: channel) }
        if !isMember, record.visibility == .private {
            let refusal = Refusal.notFound("channel `\(channel)` not found")
            guard let token else { throw refusal }
            let nowMs = clock.wallMs()
            guard try stored({ try store.redeemInvite(token, forChannel: channel, nowMs: nowMs) }) else {
                throw refusal
            }
            try stored { try store.addMember(path.user, toChannel: channel) }
        }
        sessions.subscribe(connection, to: channel)
        do throws(Refusal) {
            try inCluster { try $0.subscribe(path.text, generation: connection.generation, to: channel) }
        } catch {
            sessions.unsubscribe(connection, from: channel)
            throw error
        }
        return .joined(channel: channel)
    }

    func who(_ channel: String?, as path: SessionPath) throws(Refusal) -> ProtocolMessage {
        if let channel, try !canSee(channel, as: path.user) {
            throw .notFound("channel `\(channel)` not found")
        }
        // Several instances: the directory knows every instance's sessions.
        if let cluster {
            let texts = try stored { try channel.map(cluster.subscribers(of:)) ?? cluster.onlinePaths() }
            let paths = texts.compactMap { try? SessionPath(parsing: $0) }
            return .presence(channel: channel, sessions: Self.sorted(paths))
        }
        guard let channel else {
            return .presence(channel: nil, sessions: Self.sorted(sessions.byPath.keys))
        }
        return .presence(channel: channel, sessions: Self.sorted(sessions.subscribers(of: channel).compactMap(\.path)))
    }

    /// Sorted by name (§6.4 Recommendation); server admins see every channel. One store query, however many
    /// channels there are.
    func listChannels(as path: SessionPath) throws(Refusal) -> ProtocolMessage {
        let isAdmin = admins.contains(path.user)
        var visible: [ChannelInfo] = []
        for (record, member) in try stored({ try store.channels(withMembershipOf: path.user) }) {
            if isAdmin || member || record.visibility == .public {
                visible.append(ChannelInfo(name: record.name, visibility: record.visibility, member: member))
            }
        }
        return .channelList(channels: visible.sorted { $0.name < $1.name })
    }

    func listMachines(as path: SessionPath) throws(Refusal) -> ProtocolMessage {
        let machines = try stored { try store.machines(of: path.user) }
        return .machineList(machines: machines.map {
            MachineInfo(name: $0.name, pubkey: $0.publicKey, addedAt: RFC3339.format(milliseconds: $0.addedAtMs))
        })
    }

    /// The `who` gate: the channel exists and is public, or the user is in its ACL, or a server admin.
    private func canSee(_ channel: String, as user: String) throws(Refusal) -> Bool {
        guard let record = try stored({ try store.channel(named: channel) }) else { return false }
        if record.visibility == .public || admins.contains(user) { return true }
        return try stored { try store.isMember(user, ofChannel: channel) }
    }

    private static func sorted(_ paths: some Sequence<SessionPath>) -> [SessionPath] {
        paths.sorted { ($0.user, $0.machine, $0.session) < ($1.user, $1.machine, $1.session) }
    }
}
