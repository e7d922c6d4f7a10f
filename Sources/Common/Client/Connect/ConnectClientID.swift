/// Who a request came from and where its reply goes: the process's own stdin and `--fifo` input (replies on
/// stdout), or one `--socket` client.
package struct ConnectClientID: Hashable, Comparable, Sendable, CustomStringConvertible {
    package let rawValue: Int
    package init(rawValue: Int) { self.rawValue = rawValue }

    /// stdin and the FIFO; also the holder of the `-j` channels. Never disconnects.
    package static let local = ConnectClientID(rawValue: 0)

    package var isLocal: Bool { self == .local }

    package static func < (lhs: ConnectClientID, rhs: ConnectClientID) -> Bool { lhs.rawValue < rhs.rawValue }

    package var description: String { isLocal ? "stdin" : "socket client \(rawValue)" }
}
