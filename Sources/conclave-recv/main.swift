#if canImport(Glibc)
import Glibc
#endif
import ConclaveCLI
import ConclaveClient
import ConclavePOSIX

/// The command line of `conclave-recv`; the work is `RecvTool` in Common.
struct RecvCommand: CommonOptionsCommand, LinkSourceCommand {
    var common = CommonOptions()
    var arguments = RecvArguments()

    static var interface: CommandLineInterface<Self> {
        CommandLineInterface(
            toolName: RecvTool.name,
            abstract: "Follow conclave channels and print what arrives, for jq or a human.",
            // The synopsis of conclave-recv(1).
            usage: [
                "conclave-recv [-q | -v] [--config-dir dir] [-C n] [-W secs] [--idle secs] [--since when] "
                    + "[--history-only] [--cursor file [--follow]] [-r | -F format | --json] [-0] [--events] "
                    + "[--no-whispers] [--as handle] [-u url | --socket path | -i file] [channel ...]",
                "conclave-recv --version | --help",
            ],
            discussion: [
                "Prints channel messages and whispers to this session as NDJSON (a short line on a terminal). See "
                    + "conclave-recv(1) and conclave-ndjson(5).",
            ],
            examples: [
                .init("conclave-recv ops | jq -r '.payload.plain'", "Follow ops, one JSON object per line."),
                .init("conclave-recv --since 1h --history-only ops", "Replay the last hour of ops, then exit."),
                .init("conclave-recv -C 1 -W 10 ops", "Wait at most 10 s for the next message on ops."),
                .init("conclave-recv --cursor ~/.ops.cursor ops",
                      "Print what came on ops since the last run with this cursor, then exit."),
            ],
            options: CommonOptions.options(for: Self.self) + [
                .integer(short: "C", value: "n", help: "Exit 0 after N messages (example: -C 1).") {
                    $0.arguments.count = $1
                },
                .number(short: "W", value: "secs",
                        help: "Exit 124 after SECS, 69 if the link never came up (example: -W 10).") {
                    $0.arguments.waitSeconds = $1
                },
                .number(long: "idle", value: "secs",
                        help: "Exit 124 after SECS without a message (example: --idle 60).") {
                    $0.arguments.idleSeconds = $1
                },
                .option(long: "since", value: "when",
                        help: "Replay history after WHEN first: N[smhdw], @EPOCH_MS or RFC 3339 "
                            + "(example: --since 1h).") {
                    $0.arguments.since = $1
                },
                .flag(long: "history-only",
                      help: "Exit 0 after the replay instead of following (example: --history-only).") {
                    $0.arguments.historyOnly = $1
                },
                .option(long: "cursor", value: "file",
                        help: "Resume where the last run with FILE stopped, save the new position "
                            + "(example: --cursor ~/.ops.cursor).",
                        completion: .file) { $0.arguments.cursorPath = $1 },
                .flag(long: "follow",
                      help: "With --cursor: keep following, saving after every record (example: --cursor c --follow).") {
                    $0.arguments.follows = $1
                },
                .flag(short: "r", help: "Print the body only (example: -r).") { $0.arguments.raw = $1 },
                .option(short: "F", value: "format",
                        help: #"Print FORMAT: %c %f %u %m %s %b %t %T %% \n \t \0 (example: -F '%c %f: %b')."#) {
                    $0.arguments.format = $1
                },
                .flag(short: "0", help: "End every record with NUL instead of a newline (example: -r -0).") {
                    $0.arguments.nulTerminated = $1
                },
                .flag(long: "json", help: "NDJSON even on a terminal (example: --json).") { $0.arguments.json = $1 },
                .flag(long: "events",
                      help: "Also print the local events: link_up, link_down, … (example: --events).") {
                    $0.arguments.events = $1
                },
                .flag(long: "no-whispers", help: "Leave out whispers to this session (example: --no-whispers).") {
                    $0.arguments.noWhispers = $1
                },
                .option(short: "i", value: "file",
                        help: "Filter conclave-connect's NDJSON output from FILE, - for stdin (example: -i -).",
                        completion: .file) { $0.arguments.inputPath = $1 },
            ] + LinkSourceOptions.options(for: Self.self, handleExample: "inbox"),
            positionals: .init(valueName: "channel",
                               help: "Channels to join (with -i: to keep); none: everything (example: ops).") {
                $0.arguments.channels = $1
            },
            validate: { command throws(CommandLineError) in try command.common.validate() })
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(RecvCommand.interface, into: RecvCommand())
let status = RecvTool.run(command.arguments, common: command.common, environment: ProcessEnvironment.current())
exit(status.rawValue)
