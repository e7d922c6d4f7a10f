import ArgumentParser
import ConclaveCLI
import ConclavePOSIX
import ConclaveServer

/// The command line of `conclave-serve`; the checking is `ServeConfiguration`, the work is `ServeRunner`.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "conclave-serve",
        abstract: "Run a conclave server: WebSocket on HTTP/1.1, SQLite store.",
        // The synopsis of conclave-serve(1), instead of ArgumentParser's `<options>`.
        usage: """
            conclave-serve [-q | -v] [--bind addr] [--data-dir dir | --ephemeral] [--admin user[=pubkey]] \
            [--tls-cert file --tls-key file] [--handshake-timeout secs] [--idle-timeout secs] \
            [--reap-interval secs] [--retention secs] [--retention-sweep-interval secs] [--max-queue-frames n] \
            [--max-queue-bytes n] [--sync normal | full] [--max-memory n] [--max-per-ip n]
            conclave-serve --version | -h | --help
            conclave-serve --generate-completion-script shell
            """,
        discussion: """
            Listens on 127.0.0.1:4390 unless told otherwise and keeps its state in $XDG_DATA_HOME/conclave \
            (else ~/.local/share/conclave). GET /health answers "ok"; GET /metrics gives Prometheus text. \
            SIGINT or SIGTERM close every session and exit 0. Environment: CONCLAVE_BIND, CONCLAVE_DATA_DIR, \
            CONCLAVE_ADMINS (comma-separated USER[=PUBKEY]), CONCLAVE_SYNC; flags win. \
            An ack means the post is stored: with --sync normal it survives kill -9 of the server, with \
            --sync full also a power cut.

            Examples:
            conclave-serve --ephemeral
                  A throwaway server on 127.0.0.1:4390.
            conclave-serve --bind 0.0.0.0:4390 --data-dir /var/lib/conclave --admin alice
                  A shared server; alice is a server admin.
            conclave-serve --ephemeral --bind 127.0.0.1:0
                  Any free port; the "listening on" line on stderr names it.
            """,
        version: ConclaveVersion.text)

    @Option(help: ArgumentHelp("Address to listen on (example: --bind 0.0.0.0:4390).", valueName: "addr"))
    var bind: String?

    @Option(help: ArgumentHelp("Keep state in DIR (example: --data-dir /var/lib/conclave).", valueName: "dir"))
    var dataDir: String?

    @Flag(help: "Keep state in memory only; a new server id at every start (example: --ephemeral).")
    var ephemeral = false

    @Option(help: ArgumentHelp(
        "Server admin, optionally pinned to a base64url public key; repeatable (example: --admin alice).",
        valueName: "user[=pubkey]"))
    var admin: [String] = []

    @Option(help: ArgumentHelp(
        "PEM certificate chain; serve wss:// (example: --tls-cert cert.pem).", valueName: "file"))
    var tlsCert: String?

    @Option(help: ArgumentHelp("PEM private key for --tls-cert (example: --tls-key key.pem).", valueName: "file"))
    var tlsKey: String?

    @Option(help: ArgumentHelp("Seconds from TCP accept to established; default 10 (example: --handshake-timeout 2).",
                               valueName: "secs"))
    var handshakeTimeout: String?

    @Option(help: ArgumentHelp("Seconds without a frame before a session is dropped; default 60 "
                               + "(example: --idle-timeout 1.5).", valueName: "secs"))
    var idleTimeout: String?

    @Option(help: ArgumentHelp("Seconds between idle sweeps; default 15 (example: --reap-interval 0.5).",
                               valueName: "secs"))
    var reapInterval: String?

    @Option(help: ArgumentHelp("Seconds of history kept; default 604800 (example: --retention 3600).",
                               valueName: "secs"))
    var retention: String?

    @Option(help: ArgumentHelp("Seconds between history purges; default 3600 (example: --retention-sweep-interval 60).",
                               valueName: "secs"))
    var retentionSweepInterval: String?

    @Option(help: ArgumentHelp("Frames queued per session before it is dropped; default 1024 "
                               + "(example: --max-queue-frames 64).", valueName: "n"))
    var maxQueueFrames: String?

    @Option(help: ArgumentHelp("Bytes queued per session before it is dropped, K/M/G suffixes; default 64M "
                               + "(example: --max-queue-bytes 1M).", valueName: "n"))
    var maxQueueBytes: String?

    @Option(help: ArgumentHelp("When an ack is sent: normal (default) once the post is written, surviving kill -9; "
                               + "full once it is also fsynced, surviving power loss (example: --sync full).",
                               valueName: "normal|full"))
    var sync: String?

    @Option(help: ArgumentHelp("Bytes queued to all sessions together, K/M/G suffixes; default a quarter of the "
                               + "machine's memory (example: --max-memory 512M).", valueName: "n"))
    var maxMemory: String?

    @Option(help: ArgumentHelp("Connections from one IP address; default 256 (example: --max-per-ip 16).",
                               valueName: "n"))
    var maxPerIp: String?

    @Flag(name: [.short, .long], help: "Log only the listening line and fatal errors (example: -q).")
    var quiet = false

    @Flag(name: [.short, .long], help: "Also log every request and plain HTTP request (example: -v).")
    var verbose = false

    var arguments: ServeArguments {
        var arguments = ServeArguments()
        arguments.bind = bind
        arguments.dataDirectory = dataDir
        arguments.ephemeral = ephemeral
        arguments.admins = admin
        arguments.tlsCertificate = tlsCert
        arguments.tlsKey = tlsKey
        arguments.handshakeTimeout = handshakeTimeout
        arguments.idleTimeout = idleTimeout
        arguments.reapInterval = reapInterval
        arguments.retention = retention
        arguments.retentionSweepInterval = retentionSweepInterval
        arguments.maxQueueFrames = maxQueueFrames
        arguments.maxQueueBytes = maxQueueBytes
        arguments.sync = sync
        arguments.maxMemory = maxMemory
        arguments.maxPerAddress = maxPerIp
        arguments.quiet = quiet
        arguments.verbose = verbose
        return arguments
    }
}

ToolMain.prepareProcess()
let command = ToolMain.parse(ServeCommand.self, toolName: "conclave-serve")
// Fatal errors are reported whatever the verbosity (-q keeps them, like the listening line).
ToolMain.run(diagnostics: Diagnostics(toolName: "conclave-serve")) {
    // Only the variables resolution reads, and nothing else.
    let environment = ProcessEnvironment.current().filter { ServeConfiguration.environmentVariables.contains($0.key) }
    let configuration: ServeConfiguration
    do throws(ServeConfigurationError) {
        configuration = try ServeConfiguration(arguments: command.arguments, environment: environment)
    } catch {
        var usage = error
        usage.message += " (see conclave-serve --help)"
        throw usage
    }
    let lock = try configuration.storage.lock()
    defer { withExtendedLifetime(lock) {} }
    let store = try configuration.storage.openStore(sync: configuration.sync)
    try ServeRunner(configuration: configuration, store: store, log: ServeLog(verbosity: configuration.verbosity)).run()
}
