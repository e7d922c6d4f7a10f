#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ConclaveCLI
import ConclaveClient
import ConclavePOSIX

/// The command line of `conclave-recv`; the work is `RecvTool` in Common.
struct RecvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conclave-recv",
        abstract: "Follow conclave channels and print what arrives, for jq or a human.",
        // The synopsis of conclave-recv(1), instead of ArgumentParser's `<options>`.
        usage: """
            conclave-recv [-q | -v] [--config-dir dir] [-C n] [-W secs] [--idle secs] [--since when] \
            [--history-only] [--cursor file [--follow]] [-r | -F format | --json] [-0] [--events] [--no-whispers] \
            [--as handle] \
            [-u url | --socket path | -i file] [channel ...]
            conclave-recv --version | --help
            """,
        discussion: """
            Prints channel messages and whispers to this session as NDJSON (a short line on a terminal). See \
            conclave-recv(1) and conclave-ndjson(5).

            Examples:
              conclave-recv ops | jq -r '.payload.plain'
                  Follow ops, one JSON object per line.
              conclave-recv --since 1h --history-only ops
                  Replay the last hour of ops, then exit.
              conclave-recv -C 1 -W 10 ops
                  Wait at most 10 s for the next message on ops.
              conclave-recv --cursor ~/.ops.cursor ops
                  Print what came on ops since the last run with this cursor, then exit.
            """,
        version: ConclaveVersion.text)

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("Channels to join (with -i: to keep); none: everything (example: ops).",
                                 valueName: "channel"))
    var channels: [String] = []

    @Option(name: .customShort("C"), help: ArgumentHelp("Exit 0 after N messages (example: -C 1).", valueName: "n"))
    var count: Int?

    @Option(name: .customShort("W"),
            help: ArgumentHelp("Exit 124 after SECS, 69 if the link never came up (example: -W 10).",
                               valueName: "secs"))
    var wait: Double?

    @Option(help: ArgumentHelp("Exit 124 after SECS without a message (example: --idle 60).", valueName: "secs"))
    var idle: Double?

    @Option(help: ArgumentHelp(
        "Replay history after WHEN first: N[smhdw], @EPOCH_MS or RFC 3339 (example: --since 1h).", valueName: "when"))
    var since: String?

    @Flag(help: "Exit 0 after the replay instead of following (example: --history-only).")
    var historyOnly = false

    @Option(help: ArgumentHelp(
        "Resume where the last run with FILE stopped, save the new position (example: --cursor ~/.ops.cursor).",
        valueName: "file"))
    var cursor: String?

    @Flag(help: "With --cursor: keep following, saving after every record (example: --cursor c --follow).")
    var follow = false

    @Flag(name: .customShort("r"), help: "Print the body only (example: -r).")
    var raw = false

    @Option(name: .customShort("F"),
            help: ArgumentHelp("Print FORMAT: %c %f %u %m %s %b %t %T %% \\n \\t \\0 (example: -F '%c %f: %b').",
                               valueName: "format"))
    var format: String?

    @Flag(name: .customShort("0"), help: "End every record with NUL instead of a newline (example: -r -0).")
    var nul = false

    @Flag(help: "NDJSON even on a terminal (example: --json).")
    var json = false

    @Flag(help: "Also print the local events: link_up, link_down, … (example: --events).")
    var events = false

    @Flag(help: "Leave out whispers to this session (example: --no-whispers).")
    var noWhispers = false

    @Option(name: .customLong("as"),
            help: ArgumentHelp("Handle of a link of recv's own, default cli-PID (example: --as inbox).",
                               valueName: "handle"))
    var handle: String?

    @Option(name: [.short, .customLong("url")],
            help: ArgumentHelp("Server URL of a link of recv's own (example: -u ws://127.0.0.1:4390).",
                               valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp("Use a running conclave-connect's socket (example: --socket /tmp/link.sock).",
                               valueName: "path"))
    var socket: String?

    @Option(name: .customShort("i"),
            help: ArgumentHelp("Filter conclave-connect's NDJSON output from FILE, - for stdin (example: -i -).",
                               valueName: "file"))
    var input: String?

    var arguments: RecvArguments {
        var arguments = RecvArguments()
        arguments.channels = channels
        arguments.count = count
        arguments.waitSeconds = wait
        arguments.idleSeconds = idle
        arguments.since = since
        arguments.historyOnly = historyOnly
        arguments.cursorPath = cursor
        arguments.follows = follow
        arguments.raw = raw
        arguments.format = format
        arguments.nulTerminated = nul
        arguments.json = json
        arguments.events = events
        arguments.noWhispers = noWhispers
        arguments.handle = handle
        arguments.url = url
        arguments.socketPath = socket
        arguments.inputPath = input
        return arguments
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(RecvCommand.self, toolName: RecvTool.name)
let status = RecvTool.run(command.arguments, common: command.common, environment: ProcessEnvironment.current())
exit(status.rawValue)
