import ConclaveIdentity
import ConclaveWire

/// The local permission levels of one server's scopes (PROTOCOL.md §8.5): the `_permission` of deliveries,
/// the `mute` filter, and the `--agent` send policy.
package struct PermissionPolicy: Hashable, Sendable {
    package let config: ConclaveConfig
    /// The server URL exactly as dialled (overrides match it as a plain string).
    package let server: String
    /// Where `config.toml` is, named in the `--agent` refusal.
    package let configPath: String

    package init(config: ConclaveConfig, server: String, configPath: String) {
        self.config = config
        self.server = server
        self.configPath = configPath
    }

    /// The level of a `channel_msg` or `whisper` (the channel's scope, or the whisper scope); nil for any other
    /// frame.
    package func level(of frame: ProtocolMessage) -> PermissionLevel? {
        switch frame {
        case let .channelMsg(channel, _, _): config.permission(server: server, channel: channel)
        case .whisper: config.permission(server: server, channel: nil)
        default: nil
        }
    }

    /// Why `--agent` refuses to send `frame` (a post or whisper on a scope below `converse`), as the
    /// `unauthorized` error replied to it; nil when it may be sent.
    package func agentRefusal(of frame: ProtocolMessage) -> ProtocolError? {
        guard let level = level(of: frame), !level.allowsSending else { return nil }
        let scope: String
        var override = "[[overrides]] server = \(TOMLWriter.quoted(server))"
        if case let .channelMsg(channel, _, _) = frame {
            scope = "channel \"\(channel)\""
            override += " channel = \(TOMLWriter.quoted(channel))"
        } else {
            scope = "whispers"
        }
        return .unauthorized(
            "--agent: \(scope) on \(server) is at level \(level), below converse; to allow it, add "
                + "\(override) level = \"converse\" to \(configPath)")
    }
}
