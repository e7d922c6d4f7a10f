/// The sysexits-style statuses shared by every tool (TOOLS.md "Exit status").
public struct ExitStatus: Hashable, Sendable, CustomStringConvertible {
    /// The number handed to `exit`.
    public var rawValue: Int32

    public init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Done as asked (also a quiet end when the reader of stdout went away).
    public static let success = ExitStatus(0)
    /// Any other error, including a request refused other than as `unauthorized`.
    public static let failure = ExitStatus(1)
    /// A bad flag, argument or environment variable; the diagnostic names it.
    public static let usage = ExitStatus(64)
    /// Bad input data.
    public static let dataError = ExitStatus(65)
    /// Missing key or config.
    public static let noInput = ExitStatus(66)
    /// Server never reached.
    public static let unavailable = ExitStatus(69)
    /// Link lost with requests unanswered.
    public static let linkLost = ExitStatus(75)
    /// Version mismatch; undecodable frames during the handshake.
    public static let protocolError = ExitStatus(76)
    /// Refused: authentication, `unauthorized`, key file permissions, `--agent` policy.
    public static let refused = ExitStatus(77)
    /// `-W`/`--idle` timeout.
    public static let timeout = ExitStatus(124)

    public var description: String { String(rawValue) }
}

/// An error a tool can report: one line of text and the exit status it maps to.
public protocol ToolError: Error, CustomStringConvertible {
    /// The one exit status this error ends a tool with.
    var exitStatus: ExitStatus { get }
}
