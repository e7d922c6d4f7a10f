#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveCLI

/// What every tool's command line answers by itself (TOOLS.md "Shared behaviour"): `--version`, `-h` as `--help`,
/// one-line usage errors with status 64, and completion scripts for bash, zsh and fish that name every flag.
@Suite struct ToolCommandLineTests {
    static let tools = ["conclave-keygen", "conclave-connect", "conclave-send", "conclave-recv", "conclave-serve"]

    private static func run(_ tool: String, _ arguments: String...) throws -> ToolOutcome {
        try ToolProcess.run(
            ToolProcess.binary(tool), arguments: arguments, environment: ToolProcess.environment(home: "/nonexistent"))
    }

    /// The flags of `--help`'s option lines (`  -u, --url <url>   …`): `-u`, `--url`.
    private static func flags(ofHelp help: String) -> Set<String> {
        var flags: Set<String> = []
        for line in help.split(separator: "\n") where line.hasPrefix("  -") {
            let column = line.dropFirst(2).split(separator: "  ").first ?? ""
            for word in column.split(separator: " ") where word.hasPrefix("-") {
                flags.insert(String(word.split(separator: ",").first ?? word))
            }
        }
        return flags
    }

    @Test(arguments: tools)
    func versionAndHelp(_ tool: String) throws {
        let version = try Self.run(tool, "--version")
        #expect(version.status == 0)
        #expect(version.stdoutText == ConclaveVersion.text + "\n")
        let help = try Self.run(tool, "--help")
        #expect(help.status == 0 && help.stderrText.isEmpty)
        #expect(try Self.run(tool, "-h").stdoutText == help.stdoutText)
        #expect(help.stdoutText.hasPrefix("OVERVIEW: ") && help.stdoutText.hasSuffix("\n"))
        let flags = Self.flags(ofHelp: help.stdoutText)
        #expect(flags.isSuperset(of: ["--version", "--help", "-h"]), "\(flags.sorted())")
        // Every option but --version and --help shows an example.
        let options = help.stdoutText.split(separator: "\nOPTIONS:\n").last ?? ""
        let entries = options.split(separator: "\n").filter { $0.hasPrefix("  -") }.count
        #expect(options.split(separator: "(example:").count - 1 == entries - 2, "\(options)")
    }

    @Test(arguments: tools)
    func usageErrorsAreOneLineAndStatus64(_ tool: String) throws {
        for (arguments, message) in [
            (["--bogus"], "unknown option '--bogus'"), (["--version=1"], "--version takes no value"),
        ] {
            let outcome = try ToolProcess.run(
                ToolProcess.binary(tool), arguments: arguments,
                environment: ToolProcess.environment(home: "/nonexistent"))
            #expect(outcome.status == 64)
            #expect(outcome.stdoutText.isEmpty)
            #expect(outcome.stderrText == "\(tool): \(message) (see \(tool) --help)\n")
        }
    }

    @Test(arguments: tools)
    func completionScriptsForEveryShellNameEveryFlag(_ tool: String) throws {
        let flags = Self.flags(ofHelp: try Self.run(tool, "--help").stdoutText)
        #expect(flags.count >= 5)
        for shell in CompletionShell.allCases {
            let outcome = try Self.run(tool, "--generate-completion-script", shell.rawValue)
            #expect(outcome.status == 0, "\(shell): \(outcome.stderrText)")
            let script = outcome.stdoutText
            for flag in flags {
                // fish spells `--url` as `-l url` and `-u` as `-s u`.
                let spelled = shell != .fish ? flag
                    : flag.hasPrefix("--") ? "-l \(flag.dropFirst(2))" : "-s \(flag.dropFirst())"
                #expect(script.contains(spelled), "\(tool) \(shell) completion lacks \(flag)")
            }
            // The script parses in its shell, where that shell is installed.
            let shellPath = "/usr/bin/\(shell.rawValue)"
            guard access(shellPath, X_OK) == 0 else { continue }
            let check = try ToolProcess.run(
                shellPath, arguments: ["-n"], environment: ToolProcess.environment(home: "/nonexistent"), stdin: script)
            #expect(check.status == 0, "\(tool) \(shell): \(check.stderrText)")
        }
        let unknown = try Self.run(tool, "--generate-completion-script", "tcsh")
        #expect(unknown.status == 64)
    }
}
