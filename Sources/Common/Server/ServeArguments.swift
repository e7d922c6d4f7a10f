/// The command line of `conclave-serve` as typed, before any checking: what the argument parser collected.
///
/// ``ServeConfiguration/init(arguments:environment:)`` turns it, with the environment, into a checked
/// configuration; every value stays text until then so that each mistake gets one typed, named error.
public struct ServeArguments: Hashable, Sendable {
    /// `--bind ADDR`.
    public var bind: String?
    /// `--data-dir DIR`.
    public var dataDirectory: String?
    /// `--ephemeral`.
    public var ephemeral = false
    /// Every `--admin USER[=PUBKEY]`, in order.
    public var admins: [String] = []
    /// `--tls-cert FILE`.
    public var tlsCertificate: String?
    /// `--tls-key FILE`.
    public var tlsKey: String?
    /// `--handshake-timeout SECS`.
    public var handshakeTimeout: String?
    /// `--idle-timeout SECS`.
    public var idleTimeout: String?
    /// `--reap-interval SECS`.
    public var reapInterval: String?
    /// `--retention SECS`.
    public var retention: String?
    /// `--retention-sweep-interval SECS`.
    public var retentionSweepInterval: String?
    /// `--max-queue-frames N`.
    public var maxQueueFrames: String?
    /// `--max-queue-bytes N[K|M|G]`.
    public var maxQueueBytes: String?
    /// `-q`.
    public var quiet = false
    /// `-v`.
    public var verbose = false

    public init() {}
}
