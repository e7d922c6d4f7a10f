import ConclaveCLI
import ConclavePOSIX
import ConclaveServer

/// The command line of `conclave-serve`; the checking is `ServeConfiguration`, the work is `ServeRunner`.
enum ServeCommand {
    static var interface: CommandLineInterface<ServeArguments> {
        CommandLineInterface(
            toolName: "conclave-serve",
            abstract: "Run a conclave server: WebSocket on HTTP/1.1, SQLite or PostgreSQL store.",
            // The synopsis of conclave-serve(1).
            usage: [
                "conclave-serve [-q | -v] [--bind addr] [--store url | --data-dir dir | --ephemeral] "
                    + "[--admin user[=pubkey]] "
                    + "[--tls-cert file --tls-key file] [--handshake-timeout secs] [--idle-timeout secs] "
                    + "[--reap-interval secs] [--retention secs] [--retention-sweep-interval secs] "
                    + "[--max-queue-frames n] [--max-queue-bytes n] [--sync normal | full] [--max-memory n] "
                    + "[--max-per-ip n]",
                "conclave-serve --version | -h | --help",
                "conclave-serve --generate-completion-script shell",
            ],
            discussion: [
                "Listens on 127.0.0.1:4390 unless told otherwise and keeps its state in $XDG_DATA_HOME/conclave "
                    + "(else ~/.local/share/conclave). GET /health answers \"ok\"; GET /metrics gives Prometheus "
                    + "text. SIGINT or SIGTERM close every session and exit 0. Environment: CONCLAVE_BIND, "
                    + "CONCLAVE_STORE, CONCLAVE_DATA_DIR, CONCLAVE_ADMINS (comma-separated USER[=PUBKEY]), "
                    + "CONCLAVE_SYNC; flags win. "
                    + "An ack means the post is stored: with --sync normal it survives kill -9 of the server, with "
                    + "--sync full also a power cut; with --store, PostgreSQL's own durability applies.",
            ],
            examples: [
                .init("conclave-serve --ephemeral", "A throwaway server on 127.0.0.1:4390."),
                .init("conclave-serve --bind 0.0.0.0:4390 --data-dir /var/lib/conclave --admin alice",
                      "A shared server; alice is a server admin."),
                .init("conclave-serve --ephemeral --bind 127.0.0.1:0",
                      #"Any free port; the "listening on" line on stderr names it."#),
            ],
            options: [
                .option(long: "bind", value: "addr", help: "Address to listen on (example: --bind 0.0.0.0:4390).") {
                    $0.bind = $1
                },
                .option(long: "store", value: "url",
                        help: "Keep state in the PostgreSQL database at URL, which several servers may share "
                            + "(example: --store postgres://conclave@db.example/conclave).") {
                    $0.store = $1
                },
                .option(long: "data-dir", value: "dir",
                        help: "Keep state in DIR (example: --data-dir /var/lib/conclave).", completion: .directory) {
                    $0.dataDirectory = $1
                },
                .flag(long: "ephemeral",
                      help: "Keep state in memory only; a new server id at every start (example: --ephemeral).") {
                    $0.ephemeral = $1
                },
                .repeatable(long: "admin", value: "user[=pubkey]",
                            help: "Server admin, optionally pinned to a base64url public key; repeatable "
                                + "(example: --admin alice).") { $0.admins.append($1) },
                .option(long: "tls-cert", value: "file",
                        help: "PEM certificate chain; serve wss:// (example: --tls-cert cert.pem).",
                        completion: .file) {
                    $0.tlsCertificate = $1
                },
                .option(long: "tls-key", value: "file",
                        help: "PEM private key for --tls-cert (example: --tls-key key.pem).", completion: .file) {
                    $0.tlsKey = $1
                },
                .option(long: "handshake-timeout", value: "secs",
                        help: "Seconds from TCP accept to established; default 10 (example: --handshake-timeout 2).") {
                    $0.handshakeTimeout = $1
                },
                .option(long: "idle-timeout", value: "secs",
                        help: "Seconds without a frame before a session is dropped; default 60 "
                            + "(example: --idle-timeout 1.5).") { $0.idleTimeout = $1 },
                .option(long: "reap-interval", value: "secs",
                        help: "Seconds between idle sweeps; default 15 (example: --reap-interval 0.5).") {
                    $0.reapInterval = $1
                },
                .option(long: "retention", value: "secs",
                        help: "Seconds of history kept; default 604800 (example: --retention 3600).") {
                    $0.retention = $1
                },
                .option(long: "retention-sweep-interval", value: "secs",
                        help: "Seconds between history purges; default 3600 "
                            + "(example: --retention-sweep-interval 60).") {
                    $0.retentionSweepInterval = $1
                },
                .option(long: "max-queue-frames", value: "n",
                        help: "Frames queued per session before it is dropped; default 1024 "
                            + "(example: --max-queue-frames 64).") { $0.maxQueueFrames = $1 },
                .option(long: "max-queue-bytes", value: "n",
                        help: "Bytes queued per session before it is dropped, K/M/G suffixes; default 64M "
                            + "(example: --max-queue-bytes 1M).") { $0.maxQueueBytes = $1 },
                .option(long: "sync", value: "normal|full",
                        help: "When an ack is sent: normal (default) once the post is written, surviving kill -9; "
                            + "full once it is also fsynced, surviving power loss (example: --sync full).") {
                    $0.sync = $1
                },
                .option(long: "max-memory", value: "n",
                        help: "Bytes queued to all sessions together, K/M/G suffixes; default a quarter of the "
                            + "machine's memory (example: --max-memory 512M).") { $0.maxMemory = $1 },
                .option(long: "max-per-ip", value: "n",
                        help: "Connections from one IP address; default 256 (example: --max-per-ip 16).") {
                    $0.maxPerAddress = $1
                },
                .flag(short: "q", long: "quiet", help: "Log only the listening line and fatal errors (example: -q).") {
                    $0.quiet = $1
                },
                .flag(short: "v", long: "verbose",
                      help: "Also log every request and plain HTTP request (example: -v).") {
                    $0.verbose = $1
                },
            ])
    }
}

ToolMain.prepareProcess()
let arguments = ToolMain.parse(ServeCommand.interface, into: ServeArguments())
// Fatal errors are reported whatever the verbosity (-q keeps them, like the listening line).
ToolMain.run(diagnostics: Diagnostics(toolName: "conclave-serve")) {
    // Only the variables resolution reads, and nothing else.
    let environment = ProcessEnvironment.current().filter { ServeConfiguration.environmentVariables.contains($0.key) }
    let configuration: ServeConfiguration
    do throws(ServeConfigurationError) {
        configuration = try ServeConfiguration(arguments: arguments, environment: environment)
    } catch {
        var usage = error
        usage.message += " (see conclave-serve --help)"
        throw usage
    }
    let lock = try configuration.storage.lock()
    defer { withExtendedLifetime(lock) {} }
    let (store, cluster) = try configuration.storage.openStore(sync: configuration.sync)
    let log = ServeLog(verbosity: configuration.verbosity)
    try ServeRunner(configuration: configuration, store: store, cluster: cluster, log: log).run()
}
