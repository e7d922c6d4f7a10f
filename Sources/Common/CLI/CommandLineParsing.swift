package import ArgumentParser
#if canImport(Glibc)
internal import Glibc
#endif

extension ToolMain {
    /// Parses the process arguments into `Command`. `--help`, `--version` and completion scripts are printed by
    /// ArgumentParser with status 0; a usage error is one diagnostic line, `toolName: message (see --help)`, like
    /// every other diagnostic, and status 64.
    package static func parse<Command: ParsableCommand>(_ command: Command.Type, toolName: String) -> Command {
        do {
            return try Command.parse()
        } catch {
            let status = Command.exitCode(for: error)
            guard status != .success else { Command.exit(withError: error) }
            let message = Command.message(for: error).split(separator: "\n").joined(separator: " ")
            Diagnostics(toolName: toolName).report("\(message) (see \(toolName) --help)")
            exit(status.rawValue)
        }
    }
}
