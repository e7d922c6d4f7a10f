import ConclaveIdentity

/// The options every tool but conclave-serve shares: where the config directory is and how much to say on stderr.
package struct CommonOptions: Hashable, Sendable {
    /// `--config-dir`, when given; resolve it with `configDirectory(environment:)`.
    package var configDirectory: String?
    /// `-q`: no diagnostics at all.
    package var quiet = false
    /// `-v`: diagnostics with detail.
    package var verbose = false

    package init() {}

    /// Their declarations, for a tool whose command holds them.
    package static func options<Command: CommonOptionsCommand>(for _: Command.Type) -> [CommandLineOption<Command>] {
        [
            .option(
                long: "config-dir", value: "dir",
                help: "Directory holding key and config.toml (example: --config-dir ~/.config/conclave-test).",
                completion: .directory) { $0.common.configDirectory = $1 },
            .flag(short: "q", long: "quiet", help: "Print no diagnostics on stderr, not even errors (example: -q).") {
                $0.common.quiet = $1
            },
            .flag(short: "v", long: "verbose", help: "Print more detail on stderr (example: -v).") {
                $0.common.verbose = $1
            },
        ]
    }

    /// The checks across these options, run with the tool's own.
    package func validate() throws(CommandLineError) {
        if quiet && verbose { throw CommandLineError("-q and -v cannot be combined") }
        if configDirectory?.isEmpty == true { throw CommandLineError("--config-dir needs a non-empty path") }
    }

    /// `-q` and `-v` as one value (`validate()` refuses both at once).
    package var verbosity: Verbosity { quiet ? .quiet : verbose ? .verbose : .normal }

    /// The diagnostics writer for `toolName` at the chosen verbosity.
    package func diagnostics(toolName: String) -> Diagnostics {
        Diagnostics(toolName: toolName, verbosity: verbosity)
    }

    /// Resolves the config directory from `--config-dir` and the environment (TOOLS.md "Where things are").
    package func configDirectory(environment: [String: String]) throws(ConfigDirectoryError) -> ConfigDirectory {
        try ConfigDirectory.resolve(flag: configDirectory, environment: environment)
    }
}

/// The command of a tool that takes the common options.
package protocol CommonOptionsCommand {
    var common: CommonOptions { get set }
}
