#if canImport(Glibc)
internal import Glibc
#endif

extension ToolMain {
    /// Parses the process arguments into a `Command` that starts as `initial`. `--help`, `--version` and completion
    /// scripts are printed on stdout with status 0; a usage error is one diagnostic line, `toolName: message (see
    /// toolName --help)`, like every other diagnostic, and status 64.
    package static func parse<Command>(_ interface: CommandLineInterface<Command>, into initial: Command) -> Command {
        let text: String
        do {
            switch try interface.parse(Array(CommandLine.arguments.dropFirst()), into: initial) {
            case .run(let command): return command
            case .help: text = interface.helpText
            case .version: text = ConclaveVersion.text
            case .completionScript(let shell): text = interface.completionScript(for: shell)
            }
        } catch {
            Diagnostics(toolName: interface.toolName).report("\(error.message) (see \(interface.toolName) --help)")
            exit(ExitStatus.usage.rawValue)
        }
        do {
            try RecordWriter().write(text)
        } catch {
            exit(status(reporting: error, to: Diagnostics(toolName: interface.toolName)).rawValue)
        }
        exit(ExitStatus.success.rawValue)
    }
}
