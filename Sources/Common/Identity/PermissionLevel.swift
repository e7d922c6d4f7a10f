/// How much autonomy an agent has on a scope (PROTOCOL.md §8.5), least to most. Local policy only.
package enum PermissionLevel: String, CaseIterable, Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Inbound traffic is dropped locally; sending is refused.
    case mute
    /// Delivered as read-only information for the human; sending is refused. The default.
    case notify
    /// Delivered; may reply or whisper, but take no side-effecting action.
    case converse
    /// Delivered; may reply and act on it.
    case act

    private var rank: Int {
        switch self {
        case .mute: 0
        case .notify: 1
        case .converse: 2
        case .act: 3
        }
    }

    package static func < (lhs: PermissionLevel, rhs: PermissionLevel) -> Bool { lhs.rank < rhs.rank }

    /// Whether a client may emit `channel_msg` or `whisper` on a scope with this level (`converse` and up).
    package var allowsSending: Bool { self >= .converse }

    package var description: String { rawValue }
}
