/// One frame: the unit carried by one WebSocket binary message (PROTOCOL.md §3.6).
/// Case order is wire order: the index of each case is its variant index.
package enum ProtocolMessage: Hashable, Sendable {
    case hello(protocolVersion: UInt32, session: String)
    case challenge(nonce: [UInt8])
    case auth(pubkey: [UInt8], signature: [UInt8])
    case established(path: SessionPath)
    case register(username: String, machine: String, pubkey: [UInt8])
    case join(channel: String, token: String?)
    case leave(channel: String)
    case who(channel: String?)
    case admin(AdminOp)
    case channelMsg(channel: String, from: SessionPath, payload: Payload)
    case whisper(from: SessionPath, target: SessionPath, payload: Payload)
    case presence(channel: String?, sessions: [SessionPath])
    case error(ProtocolError)
    case listChannels
    case channelList(channels: [ChannelInfo])
    case joined(channel: String)
    case ack(detail: String?)
    case inviteToken(token: String)
    case ping
    case pong
    case serverInfo(admin: Bool)
    case listMachines
    case machineList(machines: [MachineInfo])
    case listUsers
    case userList(users: [String])
    case inviteList(invites: [InviteInfo])
    case readSince(channel: String, sinceMs: Int64)
    case history(channel: String, messages: [HistoryMessage])

    /// The protocol version this implementation speaks; `hello` must carry exactly this.
    package static let protocolVersion: UInt32 = 1

    /// The JSON `type` name (§4.2), also used in logs and metrics.
    package var typeName: String {
        switch self {
        case .hello: "hello"
        case .challenge: "challenge"
        case .auth: "auth"
        case .established: "established"
        case .register: "register"
        case .join: "join"
        case .leave: "leave"
        case .who: "who"
        case .admin: "admin"
        case .channelMsg: "channel_msg"
        case .whisper: "whisper"
        case .presence: "presence"
        case .error: "error"
        case .listChannels: "list_channels"
        case .channelList: "channel_list"
        case .joined: "joined"
        case .ack: "ack"
        case .inviteToken: "invite_token"
        case .ping: "ping"
        case .pong: "pong"
        case .serverInfo: "server_info"
        case .listMachines: "list_machines"
        case .machineList: "machine_list"
        case .listUsers: "list_users"
        case .userList: "user_list"
        case .inviteList: "invite_list"
        case .readSince: "read_since"
        case .history: "history"
        }
    }

    /// True for frames a client may send (§3.6 "C→S" or "both").
    package var isClientToServer: Bool {
        switch self {
        case .hello, .auth, .register, .join, .leave, .who, .admin, .channelMsg, .whisper, .listChannels, .ping,
             .listMachines, .listUsers, .readSince:
            true
        default:
            false
        }
    }
}
