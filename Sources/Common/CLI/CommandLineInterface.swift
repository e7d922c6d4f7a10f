/// Everything a tool's command line is, declared as data: the text of `--help`, the options, the positional
/// arguments and the checks across options. `parse(_:into:)`, `helpText` and `completionScript(for:)` are generated
/// from it, so a new flag is one more entry in `options`.
package struct CommandLineInterface<Command> {
    /// One example of `--help`: a command line and what it does.
    package struct Example: Hashable, Sendable {
        package var command: String
        package var meaning: String

        package init(_ command: String, _ meaning: String) {
            self.command = command
            self.meaning = meaning
        }
    }

    /// The positional arguments, all handed over at once, in order.
    package struct Positionals {
        /// Their placeholder in help (`channel`).
        package var valueName: String
        package var help: String
        package var set: (inout Command, [String]) -> Void

        package init(valueName: String, help: String, _ set: @escaping (inout Command, [String]) -> Void) {
            self.valueName = valueName
            self.help = help
            self.set = set
        }
    }

    package var toolName: String
    /// One sentence: what the tool does.
    package var abstract: String
    /// The lines of the manual page's SYNOPSIS, shown as they are.
    package var usage: [String]
    /// Paragraphs between the abstract and the examples, wrapped to the width of the help.
    package var discussion: [String]
    package var examples: [Example]
    package var options: [CommandLineOption<Command>]
    /// Nil when the tool takes none: any positional argument is then a usage error.
    package var positionals: Positionals?
    /// Checks across options (`-q` with `-v`), after every argument was read.
    package var validate: (Command) throws(CommandLineError) -> Void

    package init(
        toolName: String, abstract: String, usage: [String], discussion: [String] = [], examples: [Example],
        options: [CommandLineOption<Command>], positionals: Positionals? = nil,
        validate: @escaping (Command) throws(CommandLineError) -> Void = { _ in }
    ) {
        self.toolName = toolName
        self.abstract = abstract
        self.usage = usage
        self.discussion = discussion
        self.examples = examples
        self.options = options
        self.positionals = positionals
        self.validate = validate
    }
}
