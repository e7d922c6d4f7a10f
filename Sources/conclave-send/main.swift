#if canImport(Glibc)
import Glibc
#endif
import ConclaveCLI
import ConclaveClient
import ConclavePOSIX

/// The command line of `conclave-send`; the work is `SendTool` in Common.
struct SendCommand: CommonOptionsCommand, LinkSourceCommand {
    var common = CommonOptions()
    var arguments = SendArguments()

    static var interface: CommandLineInterface<Self> {
        CommandLineInterface(
            toolName: SendTool.name,
            abstract: "Post messages, whispers or any request to a conclave server, then exit.",
            // The synopsis of conclave-send(1).
            usage: [
                "conclave-send [options] channel [message ...]",
                "conclave-send [options] --to path [message ...]",
                "conclave-send [options] --json",
                "conclave-send --version | --help",
            ],
            discussion: [
                "With MESSAGE words, posts them as one message. Without, each stdin line is one message, posted as "
                    + "it arrives. Joins a channel before its first post there. Status 0 only when every message is "
                    + "acknowledged: 69 never connected, 75 unacknowledged, 77 refused, 65 bad input, 1 other "
                    + "refusals.",
            ],
            examples: [
                .init("conclave-send ops deploy finished", #"Post "deploy finished" to ops."#),
                .init("make 2>&1 | conclave-send ops", "Post each line of make's output as it appears."),
                .init("conclave-send --to bob/laptop/main are you there", "Whisper to one session."),
                .init(#"echo '{"type":"who","channel":"ops","_id":1}' | conclave-send --json"#,
                      "Send any request; print its reply with its _id."),
            ],
            options: CommonOptions.options(for: Self.self) + [
                .option(long: "to", value: "path",
                        help: "Whisper to the session PATH (example: --to bob/laptop/main).") {
                    $0.arguments.whisperTarget = $1
                },
                .flag(long: "json",
                      help: "Read requests, one JSON object per line, and print each reply with its _id "
                          + "(example: --json).") { $0.arguments.json = $1 },
                .flag(short: "s", help: "Send all of stdin as one message (example: -s).") {
                    $0.arguments.wholeInput = $1
                },
                .flag(long: "empty", help: "Send empty lines too, instead of skipping them (example: --empty).") {
                    $0.arguments.empty = $1
                },
                .flag(long: "print",
                      help: "Print the input lines that would be sent instead of sending them (example: --print).") {
                    $0.arguments.print = $1
                },
                .number(short: "W", value: "secs",
                        help: "Seconds to wait for a link or for acknowledgements after stdin ends, default 30 "
                            + "(example: -W 5).") { $0.arguments.waitSeconds = $1 },
                .flag(long: "agent",
                      help: "Refuse posts and whispers on scopes below converse in config.toml (example: --agent).") {
                    $0.arguments.agent = $1
                },
                .flag(long: "strict", help: "Make the first bad input line fatal, status 65 (example: --strict).") {
                    $0.arguments.strict = $1
                },
            ] + LinkSourceOptions.options(for: Self.self, handleExample: "build-bot"),
            positionals: .init(valueName: "channel message",
                               help: "CHANNEL, then MESSAGE words (with --to: only MESSAGE words).") {
                $0.arguments.words = $1
            },
            validate: { command throws(CommandLineError) in try command.common.validate() })
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(SendCommand.interface, into: SendCommand())
let status = SendTool.run(command.arguments, common: command.common, environment: ProcessEnvironment.current())
exit(status.rawValue)
