#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ConclaveCLI
import ConclaveClient
import ConclavePOSIX

/// The command line of `conclave-send`; the work is `SendTool` in Common.
struct SendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conclave-send",
        abstract: "Post messages, whispers or any request to a conclave server, then exit.",
        // The synopsis of conclave-send(1), instead of ArgumentParser's `<options>`.
        usage: """
            conclave-send [options] channel [message ...]
            conclave-send [options] --to path [message ...]
            conclave-send [options] --json
            conclave-send --version | --help
            """,
        discussion: """
            With MESSAGE words, posts them as one message. Without, each stdin line is one message, posted as \
            it arrives. Joins a channel before its first post there. Status 0 only when every message is \
            acknowledged: 69 never connected, 75 unacknowledged, 77 refused, 65 bad input, 1 other refusals.

            Examples:
              conclave-send ops deploy finished
                  Post "deploy finished" to ops.
              make 2>&1 | conclave-send ops
                  Post each line of make's output as it appears.
              conclave-send --to bob/laptop/main are you there
                  Whisper to one session.
              echo '{"type":"who","channel":"ops","_id":1}' | conclave-send --json
                  Send any request; print its reply with its _id.
            """,
        version: ConclaveVersion.text)

    @OptionGroup var common: CommonOptions

    @Argument(help: ArgumentHelp("CHANNEL, then MESSAGE words (with --to: only MESSAGE words).",
                                 valueName: "channel message"))
    var words: [String] = []

    @Option(help: ArgumentHelp("Whisper to the session PATH (example: --to bob/laptop/main).", valueName: "path"))
    var to: String?

    @Flag(help: "Read requests, one JSON object per line, and print each reply with its _id (example: --json).")
    var json = false

    @Flag(name: .customShort("s"), help: "Send all of stdin as one message (example: -s).")
    var whole = false

    @Flag(help: "Send empty lines too, instead of skipping them (example: --empty).")
    var empty = false

    @Flag(help: "Print the input lines that would be sent instead of sending them (example: --print).")
    var print = false

    @Option(name: .customShort("W"), help: ArgumentHelp(
        "Seconds to wait for a link or for acknowledgements after stdin ends, default 30 (example: -W 5).",
        valueName: "secs"))
    var wait: Double?

    @Flag(help: "Refuse posts and whispers on scopes below converse in config.toml (example: --agent).")
    var agent = false

    @Flag(help: "Make the first bad input line fatal, status 65 (example: --strict).")
    var strict = false

    @Option(name: .customLong("as"), help: ArgumentHelp(
        "Handle of its own link, default cli-<pid> (example: --as build-bot).", valueName: "handle"))
    var handle: String?

    @Option(name: [.short, .customLong("url")],
            help: ArgumentHelp("Make a link of its own to this server (example: -u ws://127.0.0.1:4390).",
                               valueName: "url"))
    var url: String?

    @Option(help: ArgumentHelp(
        "Attach to a running conclave-connect --socket (example: --socket /tmp/link.sock).", valueName: "path"))
    var socket: String?

    var arguments: SendArguments {
        var arguments = SendArguments()
        arguments.words = words
        arguments.whisperTarget = to
        arguments.json = json
        arguments.wholeInput = whole
        arguments.empty = empty
        arguments.print = print
        arguments.waitSeconds = wait
        arguments.agent = agent
        arguments.strict = strict
        arguments.handle = handle
        arguments.url = url
        arguments.socketPath = socket
        return arguments
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(SendCommand.self, toolName: SendTool.name)
let status = SendTool.run(command.arguments, common: command.common, environment: ProcessEnvironment.current())
exit(status.rawValue)
