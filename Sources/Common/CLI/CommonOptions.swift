package import ArgumentParser
import ConclaveIdentity

/// The options every tool shares: where the config directory is and how much to say on stderr.
package struct CommonOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("config-dir"),
        help: ArgumentHelp(
            "Directory holding key and config.toml (example: --config-dir ~/.config/conclave-test).",
            valueName: "dir"))
    /// `--config-dir`, when given; resolve it with `configDirectory(environment:)`.
    package var configDirectory: String?

    @Flag(name: [.short, .long], help: "Print no diagnostics on stderr, not even errors (example: -q).")
    /// `-q`: no diagnostics at all.
    package var quiet = false

    @Flag(name: [.short, .long], help: "Print more detail on stderr (example: -v).")
    /// `-v`: diagnostics with detail.
    package var verbose = false

    package init() {}

    package func validate() throws {
        if quiet && verbose { throw ValidationError("-q and -v cannot be combined") }
        if configDirectory?.isEmpty == true { throw ValidationError("--config-dir needs a non-empty path") }
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
