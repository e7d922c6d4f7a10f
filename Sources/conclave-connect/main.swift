#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ConclaveCLI
import ConclaveClient
import ConclavePOSIX

/// The command line of `conclave-connect`; the work is `ConnectTool` in Common.
struct ConnectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conclave-connect",
        abstract: "Hold one reconnecting, authenticated conclave link: NDJSON requests in, NDJSON events out.",
        // The synopsis of conclave-connect(1), instead of ArgumentParser's `<options>`.
        usage: """
            conclave-connect [-q | -v] [--config-dir dir] [-u url] [--as handle] [-j channel ...] \
            [--register user[/machine]] [--socket path] [--fifo dir] [-E] [--no-reconnect | --retry n] [--agent] \
            [--strict] [--ping-interval secs] [--pong-timeout secs]
            conclave-connect --version | --help
            """,
        discussion: """
            Reads one JSON object per line on stdin (any client frame, or {"channel":C,"body":TEXT} / \
            {"to":PATH,"body":TEXT}; "_id" is echoed on the reply) and prints replies, deliveries and local \
            events as NDJSON on stdout (see conclave-ndjson(5)). Runs until SIGINT or SIGTERM; end of stdin \
            alone does not stop it unless -E is given.

            Examples:
              conclave-connect -u ws://127.0.0.1:4390 --register alice/laptop -E </dev/null
                  Register alice with this machine's key, record it in config.toml, exit.
              echo '{"channel":"ops","body":"done","_id":1}' | conclave-connect -j ops -E
                  Join ops, post one message, print the ack with "_id":1, exit.
            conclave-connect --socket /tmp/link.sock -j ops &
                  Share one link with other local processes, each a client of the socket.
            conclave-connect --fifo ~/conclave &
                  ii-style: write lines to ~/conclave/in, tail -f ~/conclave/out.
            """,
        version: ConclaveVersion.text)

    @OptionGroup var common: CommonOptions

    @Option(name: [.short, .customLong("url")],
            help: ArgumentHelp("Server URL (example: -u wss://conclave.example.com).", valueName: "url"))
    var url: String?

    @Option(name: .customLong("as"),
            help: ArgumentHelp("Session handle, never renamed (example: --as build-bot).", valueName: "handle"))
    var handle: String?

    @Option(name: .customShort("j"),
            help: ArgumentHelp("Join CHANNEL at start; repeatable (example: -j ops -j dev).", valueName: "channel"))
    var joins: [String] = []

    @Option(help: ArgumentHelp(
        "Register USER (and MACHINE, default: the host name) with this key and record it in config.toml "
            + "(example: --register alice/laptop).", valueName: "user[/machine]"))
    var register: String?

    @Option(help: ArgumentHelp(
        "Also serve the link on a Unix socket, mode 0600 (example: --socket /tmp/link.sock).", valueName: "path"))
    var socket: String?

    @Option(help: ArgumentHelp(
        "ii-style: read lines from the FIFO DIR/in, append output to DIR/out (example: --fifo ~/conclave).",
        valueName: "dir"))
    var fifo: String?

    @Flag(name: .customShort("E"),
          help: "Exit once stdin ends, the link has been up and every request is answered (example: -E).")
    var exitAtEndOfInput = false

    @Flag(help: "End at the first failed dial or drop instead of reconnecting (example: --no-reconnect).")
    var noReconnect = false

    @Option(help: ArgumentHelp("Give up after N failed dials in a row (example: --retry 5).", valueName: "n"))
    var retry: Int?

    @Flag(help: "Refuse posts and whispers on scopes below converse in config.toml (example: --agent).")
    var agent = false

    @Option(help: ArgumentHelp("Seconds between keepalive pings, default 20 (example: --ping-interval 5).",
                               valueName: "secs"))
    var pingInterval: Double?

    @Option(help: ArgumentHelp("Seconds without a frame after a ping before the link counts as dead, default 10 "
                                   + "(example: --pong-timeout 3).", valueName: "secs"))
    var pongTimeout: Double?

    @Flag(help: "Make the first bad input line fatal, status 65 (example: --strict).")
    var strict = false

    var arguments: ConnectArguments {
        var arguments = ConnectArguments()
        arguments.url = url
        arguments.handle = handle
        arguments.joins = joins
        arguments.register = register
        arguments.socketPath = socket
        arguments.fifoDirectory = fifo
        arguments.exitsAtEndOfInput = exitAtEndOfInput
        arguments.noReconnect = noReconnect
        arguments.retryLimit = retry
        arguments.agent = agent
        arguments.pingIntervalSeconds = pingInterval
        arguments.pongTimeoutSeconds = pongTimeout
        arguments.strict = strict
        return arguments
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(ConnectCommand.self, toolName: ConnectTool.name)
let status = ConnectTool.run(command.arguments, common: command.common, environment: ProcessEnvironment.current())
exit(status.rawValue)
