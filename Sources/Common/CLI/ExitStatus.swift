/// The sysexits-style statuses shared by every tool (TOOLS.md "Exit status").
package struct ExitStatus: Hashable, Sendable, CustomStringConvertible {
    /// The number handed to `exit`.
    package var rawValue: Int32

    package init(_ rawValue: Int32) { self.rawValue = rawValue }

    /// Done as asked (also a quiet end when the reader of stdout went away).
    package static let success = ExitStatus(0)
    /// Any other error, including a request refused other than as `unauthorized`.
    package static let failure = ExitStatus(1)
    /// A bad flag, argument or environment variable; the diagnostic names it.
    package static let usage = ExitStatus(64)
    /// Bad input data.
    package static let dataError = ExitStatus(65)
    /// Missing key or config.
    package static let noInput = ExitStatus(66)
    /// Server never reached.
    package static let unavailable = ExitStatus(69)
    /// Link lost with requests unanswered.
    package static let linkLost = ExitStatus(75)
    /// Version mismatch; undecodable frames during the handshake.
    package static let protocolError = ExitStatus(76)
    /// Refused: authentication, `unauthorized`, key file permissions, `--agent` policy.
    package static let refused = ExitStatus(77)
    /// `-W`/`--idle` timeout.
    package static let timeout = ExitStatus(124)

    package var description: String { String(rawValue) }
}

/// An error a tool can report: one line of text and the exit status it maps to.
package protocol ToolError: Error, CustomStringConvertible {
    /// The one exit status this error ends a tool with.
    var exitStatus: ExitStatus { get }
}
