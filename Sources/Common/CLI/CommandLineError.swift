/// A command line that cannot be run as given: an unknown option, a missing or malformed value, a combination the
/// tool refuses. Reported as one line, `tool: message (see tool --help)`, with status 64.
package struct CommandLineError: ToolError, Hashable {
    /// What is wrong, naming the option or argument.
    package var message: String

    package init(_ message: String) { self.message = message }

    package var exitStatus: ExitStatus { .usage }
    package var description: String { message }
}
