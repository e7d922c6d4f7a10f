#if canImport(Glibc)
import Glibc
#endif
import ConclaveCLI
import ConclaveClient
import ConclavePOSIX

/// The command line of `conclave-connect`; the work is `ConnectTool` in Common.
struct ConnectCommand: CommonOptionsCommand {
    var common = CommonOptions()
    var arguments = ConnectArguments()

    static var interface: CommandLineInterface<Self> {
        CommandLineInterface(
            toolName: ConnectTool.name,
            abstract: "Hold one reconnecting, authenticated conclave link: NDJSON requests in, NDJSON events out.",
            // The synopsis of conclave-connect(1).
            usage: [
                "conclave-connect [-q | -v] [--config-dir dir] [-u url] [--as handle] [-j channel ...] "
                    + "[--register user[/machine]] [--socket path] [--fifo dir] [-E] [--no-reconnect | --retry n] "
                    + "[--agent] [--strict] [--ping-interval secs] [--pong-timeout secs]",
                "conclave-connect --version | --help",
            ],
            discussion: [
                #"Reads one JSON object per line on stdin (any client frame, or {"channel":C,"body":TEXT} / "#
                    + #"{"to":PATH,"body":TEXT}; "_id" is echoed on the reply) and prints replies, deliveries and "#
                    + "local events as NDJSON on stdout (see conclave-ndjson(5)). Runs until SIGINT or SIGTERM; end "
                    + "of stdin alone does not stop it unless -E is given.",
            ],
            examples: [
                .init("conclave-connect -u ws://127.0.0.1:4390 --register alice/laptop -E </dev/null",
                      "Register alice with this machine's key, record it in config.toml, exit."),
                .init(#"echo '{"channel":"ops","body":"done","_id":1}' | conclave-connect -j ops -E"#,
                      #"Join ops, post one message, print the ack with "_id":1, exit."#),
                .init("conclave-connect --socket /tmp/link.sock -j ops &",
                      "Share one link with other local processes, each a client of the socket."),
                .init("conclave-connect --fifo ~/conclave &",
                      "ii-style: write lines to ~/conclave/in, tail -f ~/conclave/out."),
            ],
            options: CommonOptions.options(for: Self.self) + [
                .option(short: "u", long: "url", value: "url",
                        help: "Server URL (example: -u wss://conclave.example.com).") { $0.arguments.url = $1 },
                .option(long: "as", value: "handle", help: "Session handle, never renamed (example: --as build-bot).") {
                    $0.arguments.handle = $1
                },
                .repeatable(short: "j", value: "channel",
                            help: "Join CHANNEL at start; repeatable (example: -j ops -j dev).") {
                    $0.arguments.joins.append($1)
                },
                .option(long: "register", value: "user[/machine]",
                        help: "Register USER (and MACHINE, default: the host name) with this key and record it in "
                            + "config.toml (example: --register alice/laptop).") { $0.arguments.register = $1 },
                .option(long: "socket", value: "path",
                        help: "Also serve the link on a Unix socket, mode 0600 (example: --socket /tmp/link.sock).",
                        completion: .file) { $0.arguments.socketPath = $1 },
                .option(long: "fifo", value: "dir",
                        help: "ii-style: read lines from the FIFO DIR/in, append output to DIR/out "
                            + "(example: --fifo ~/conclave).", completion: .directory) {
                    $0.arguments.fifoDirectory = $1
                },
                .flag(short: "E",
                      help: "Exit once stdin ends, the link has been up and every request is answered (example: -E).") {
                    $0.arguments.exitsAtEndOfInput = $1
                },
                .flag(long: "no-reconnect",
                      help: "End at the first failed dial or drop instead of reconnecting (example: --no-reconnect).") {
                    $0.arguments.noReconnect = $1
                },
                .integer(long: "retry", value: "n",
                         help: "Give up after N failed dials in a row (example: --retry 5).") {
                    $0.arguments.retryLimit = $1
                },
                .flag(long: "agent",
                      help: "Refuse posts and whispers on scopes below converse in config.toml (example: --agent).") {
                    $0.arguments.agent = $1
                },
                .number(long: "ping-interval", value: "secs",
                        help: "Seconds between keepalive pings, default 20 (example: --ping-interval 5).") {
                    $0.arguments.pingIntervalSeconds = $1
                },
                .number(long: "pong-timeout", value: "secs",
                        help: "Seconds without a frame after a ping before the link counts as dead, default 10 "
                            + "(example: --pong-timeout 3).") { $0.arguments.pongTimeoutSeconds = $1 },
                .flag(long: "strict", help: "Make the first bad input line fatal, status 65 (example: --strict).") {
                    $0.arguments.strict = $1
                },
            ],
            validate: { command throws(CommandLineError) in try command.common.validate() })
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(ConnectCommand.interface, into: ConnectCommand())
let status = ConnectTool.run(command.arguments, common: command.common, environment: ProcessEnvironment.current())
exit(status.rawValue)
