/// The command line of `conclave-serve` as typed, before any checking: what the argument parser collected.
///
/// ``ServeConfiguration/init(arguments:environment:)`` turns it, with the environment, into a checked
/// configuration; every value stays text until then so that each mistake gets one typed, named error.
package struct ServeArguments: Hashable, Sendable {
    /// `--bind ADDR`.
    package var bind: String?
    /// `--store URL`.
    package var store: String?
    /// `--data-dir DIR`.
    package var dataDirectory: String?
    /// `--ephemeral`.
    package var ephemeral = false
    /// Every `--admin USER[=PUBKEY]`, in order.
    package var admins: [String] = []
    /// `--tls-cert FILE`.
    package var tlsCertificate: String?
    /// `--tls-key FILE`.
    package var tlsKey: String?
    /// `--handshake-timeout SECS`.
    package var handshakeTimeout: String?
    /// `--idle-timeout SECS`.
    package var idleTimeout: String?
    /// `--reap-interval SECS`.
    package var reapInterval: String?
    /// `--retention SECS`.
    package var retention: String?
    /// `--retention-sweep-interval SECS`.
    package var retentionSweepInterval: String?
    /// `--max-queue-frames N`.
    package var maxQueueFrames: String?
    /// `--max-queue-bytes N[K|M|G]`.
    package var maxQueueBytes: String?
    /// `--sync normal|full`.
    package var sync: String?
    /// `--max-memory N[K|M|G]`.
    package var maxMemory: String?
    /// `--max-per-ip N`.
    package var maxPerAddress: String?
    /// `-q`.
    package var quiet = false
    /// `-v`.
    package var verbose = false

    package init() {}
}
