/// Who a request came from and where its reply goes: the process's own stdin and `--fifo` input (replies on
/// stdout), or one `--socket` client.
public struct ConnectClientID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// stdin and the FIFO; also the holder of the `-j` channels. Never disconnects.
    public static let local = ConnectClientID(rawValue: 0)

    public var isLocal: Bool { self == .local }

    public static func < (lhs: ConnectClientID, rhs: ConnectClientID) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { isLocal ? "stdin" : "socket client \(rawValue)" }
}
