/// An administrative operation, carried inside an `admin` frame (PROTOCOL.md §3.5, §6.7).
/// Case order is wire order: the index of each case is its variant index.
package enum AdminOp: Hashable, Sendable {
    case createChannel(name: String, visibility: Visibility)
    case deleteChannel(name: String)
    case renameChannel(name: String, newName: String)
    case setVisibility(name: String, visibility: Visibility)
    case aclAdd(channel: String, user: String)
    case aclRemove(channel: String, user: String)
    case inviteCreate(channel: String, uses: UInt32?, expiresInSecs: UInt64?)
    case inviteRevoke(token: String)
    case kick(channel: String, target: String)
    case ban(channel: String, user: String)
    case userRemove(username: String)
    case machineRemove(name: String)
    case machineAdd(name: String, pubkey: [UInt8])
    case aclList(channel: String)
    case unban(channel: String, user: String)
    case banList(channel: String)
    case inviteList(channel: String)

    /// The operation's JSON name (§4.3), e.g. `create_channel`.
    package var name: String {
        switch self {
        case .createChannel: "create_channel"
        case .deleteChannel: "delete_channel"
        case .renameChannel: "rename_channel"
        case .setVisibility: "set_visibility"
        case .aclAdd: "acl_add"
        case .aclRemove: "acl_remove"
        case .inviteCreate: "invite_create"
        case .inviteRevoke: "invite_revoke"
        case .kick: "kick"
        case .ban: "ban"
        case .userRemove: "user_remove"
        case .machineRemove: "machine_remove"
        case .machineAdd: "machine_add"
        case .aclList: "acl_list"
        case .unban: "unban"
        case .banList: "ban_list"
        case .inviteList: "invite_list"
        }
    }
}
