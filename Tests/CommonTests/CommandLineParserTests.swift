import Testing
@testable import ConclaveCLI

/// The command of a made-up tool with one option of every kind.
private struct Sample: Equatable, CommonOptionsCommand {
    var common = CommonOptions()
    var url: String?
    var joins: [String] = []
    var count: Int?
    var wait: Double?
    var exits = false
    var raw = false
    var words: [String] = []
}

/// Computed: a global `let` of it would have to be `Sendable`, which key paths and closures are not.
private var interface: CommandLineInterface<Sample> {
    CommandLineInterface(
        toolName: "conclave-sample", abstract: "Do a sample thing.", usage: ["conclave-sample [-E] [channel ...]"],
        discussion: ["One paragraph long enough to be wrapped at eighty columns by the help renderer, twice over."],
        examples: [.init("conclave-sample -E ops", "Sample ops.")],
        options: CommonOptions.options(for: Sample.self) + [
            .option(short: "u", long: "url", value: "url", help: "Server URL (example: -u ws://x).") { $0.url = $1 },
            .repeatable(short: "j", value: "channel", help: "Join; repeatable (example: -j ops).") {
                $0.joins.append($1)
            },
            .integer(short: "C", value: "n", help: "Stop after N (example: -C 1).") { $0.count = $1 },
            .number(long: "wait", value: "secs", help: "Wait SECS (example: --wait 1.5).") { $0.wait = $1 },
            .flag(short: "E", help: "Exit at the end (example: -E).") { $0.exits = $1 },
            .flag(short: "r", long: "raw", help: "Bodies only (example: -r).") { $0.raw = $1 },
        ],
        positionals: .init(valueName: "channel", help: "Channels (example: ops).") { $0.words = $1 },
        validate: { command throws(CommandLineError) in try command.common.validate() })
}

private func run(_ arguments: String...) throws(CommandLineError) -> Sample {
    guard case .run(let command) = try interface.parse(arguments, into: Sample()) else {
        throw CommandLineError("not a run")
    }
    return command
}

private func refusal(_ arguments: String...) -> String? {
    do {
        _ = try interface.parse(arguments, into: Sample())
        return nil
    } catch {
        return error.message
    }
}

@Suite struct CommandLineParserTests {
    @Test func valuesOfEveryKind() throws {
        let command = try run("-u", "ws://a", "-j", "ops", "-j", "dev", "-C", "3", "--wait", "0.5", "-E", "x")
        #expect(command.url == "ws://a")
        #expect(command.joins == ["ops", "dev"])
        #expect(command.count == 3)
        #expect(command.wait == 0.5)
        #expect(command.exits)
        #expect(!command.raw)
        #expect(command.words == ["x"])
    }

    @Test func spellingsOfOneValueAgree() throws {
        let expected = try run("--url", "ws://a")
        #expect(try run("--url=ws://a") == expected)
        #expect(try run("-uws://a") == expected)
        #expect(try run("-u", "ws://a") == expected)
        // The last of an option that is not repeatable wins.
        #expect(try run("-u", "ws://b", "--url", "ws://a") == expected)
    }

    @Test func shortFlagsCombineAndTheLastMayTakeAValue() throws {
        let command = try run("-Erq", "-EC5")
        #expect(command.exits && command.raw && command.common.quiet)
        #expect(command.count == 5)
        #expect(try run("-rC", "7").count == 7)
    }

    @Test func optionsAndPositionalArgumentsMix() throws {
        #expect(try run("ops", "-E", "dev").words == ["ops", "dev"])
        // `-` alone is an argument; a value is taken as it is, even when it starts with a dash.
        #expect(try run("-", "-u", "-x").words == ["-"])
        #expect(try run("-u", "-x").url == "-x")
    }

    @Test func doubleDashEndsTheOptions() throws {
        let command = try run("-E", "--", "-r", "--help", "--")
        #expect(command.exits && !command.raw)
        #expect(command.words == ["-r", "--help", "--"])
    }

    @Test func helpVersionAndCompletionsAreAnsweredAtOnce() throws {
        let help = try interface.parse(["ops", "-h", "--bogus"], into: Sample())
        guard case .help = help else { Issue.record("\(help)"); return }
        guard case .help = try interface.parse(["--help"], into: Sample()) else { Issue.record("--help"); return }
        guard case .version = try interface.parse(["-E", "--version"], into: Sample()) else {
            Issue.record("--version")
            return
        }
        for shell in CompletionShell.allCases {
            let spaced = try interface.parse(["--generate-completion-script", shell.rawValue], into: Sample())
            let attached = try interface.parse(["--generate-completion-script=\(shell.rawValue)"], into: Sample())
            guard case .completionScript(shell) = spaced, case .completionScript(shell) = attached else {
                Issue.record("\(shell)")
                return
            }
        }
    }

    @Test func mistakesAreOneLineNamingTheOptionAsTyped() {
        #expect(refusal("--bogus") == "unknown option '--bogus'")
        #expect(refusal("-Ex") == "unknown option '-x'")
        #expect(refusal("-j") == "missing value for '-j <channel>'")
        #expect(refusal("--url") == "missing value for '--url <url>'")
        #expect(refusal("-C", "x") == "-C needs a whole number, not 'x'")
        #expect(refusal("--wait", "soon") == "--wait needs a number, not 'soon'")
        #expect(refusal("--wait", "inf") == "--wait needs a number, not 'inf'")
        #expect(refusal("--raw=yes") == "--raw takes no value")
        #expect(refusal("--help=me") == "--help takes no value")
        #expect(refusal("-q", "-v") == "-q and -v cannot be combined")
        #expect(refusal("--generate-completion-script", "tcsh")
            == "--generate-completion-script needs bash, zsh or fish, not 'tcsh'")
    }

    @Test func aToolWithoutPositionalArgumentsRefusesThem() {
        let bare = CommandLineInterface<Sample>(
            toolName: "t", abstract: "", usage: [], examples: [], options: CommonOptions.options(for: Sample.self))
        #expect(throws: CommandLineError("unexpected argument 'extra'")) {
            try bare.parse(["-q", "extra"], into: Sample())
        }
    }

    @Test func helpListsEveryOptionWithinEightyColumns() {
        let help = interface.helpText
        let lines = help.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(help)")
        #expect(lines.contains("USAGE: conclave-sample [-E] [channel ...]"))
        for label in ["--config-dir <dir>", "-q, --quiet", "-u, --url <url>", "-j <channel>", "--wait <secs>",
                      "-E  ", "-r, --raw", "--version", "-h, --help", "<channel>"] {
            #expect(lines.contains { $0.hasPrefix("  " + label) }, "\(label)")
        }
        #expect(help.contains("  conclave-sample -E ops\n      Sample ops.\n"))
        #expect(!help.hasSuffix("\n"))
    }

    @Test(arguments: CompletionShell.allCases)
    func completionScriptsNameEveryOption(_ shell: CompletionShell) {
        let script = interface.completionScript(for: shell)
        for option in interface.options {
            // fish spells `--url` as `-l url` and `-u` as `-s u`.
            let spellings = shell != .fish ? option.displayNames
                : [option.shortName.map { "-s \($0)" }, option.longName.map { "-l \($0)" }].compactMap { $0 }
            for spelling in spellings { #expect(script.contains(spelling), "\(shell) \(spelling)") }
        }
    }
}
