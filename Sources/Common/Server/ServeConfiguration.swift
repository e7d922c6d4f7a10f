import ConclaveCLI
import ConclaveStore
import ConclaveTransport
import ConclaveWire

/// Everything `conclave-serve` needs to run, checked: the result of its flags and environment (TOOLS.md
/// `conclave-serve`, PROTOCOL.md §6.12). Resolution is pure, so every rule is unit-tested without a process.
///
/// Flags beat the environment: `--bind` beats `CONCLAVE_BIND`, `--store`/`--data-dir`/`--ephemeral` beat
/// `CONCLAVE_STORE` and `CONCLAVE_DATA_DIR` (`CONCLAVE_STORE` beats `CONCLAVE_DATA_DIR`), `--sync` beats
/// `CONCLAVE_SYNC`, and any `--admin` replaces the whole of `CONCLAVE_ADMINS`.
package struct ServeConfiguration: Hashable, Sendable {
    /// Where the server keeps its state.
    package enum Storage: Hashable, Sendable {
        /// SQLite in this directory, created private to its owner when missing.
        case directory(String)
        /// In memory: gone at exit, with a new instance id at every start.
        case ephemeral
        /// A PostgreSQL database at this `postgres://` or `postgresql://` URL, which other servers may share.
        case postgres(String)
    }

    /// One name on the server-admin allowlist (PROTOCOL.md §6.2, §6.12).
    package struct Admin: Hashable, Sendable {
        /// The account name that gets server-admin rights.
        package var username: String
        /// The b64u text of the only key that may register this name, if pinned.
        package var pinnedKey: String?

        package init(username: String, pinnedKey: String? = nil) {
            self.username = username
            self.pinnedKey = pinnedKey
        }
    }

    /// The certificate chain and private key files for `wss://`, both PEM.
    package struct TLSFiles: Hashable, Sendable {
        /// The path of the certificate chain, leaf first.
        package var certificate: String
        /// The path of the private key of the leaf certificate.
        package var key: String

        package init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    /// Where the server listens unless told otherwise: loopback only, so a default start exposes nothing.
    package static let defaultBind = HostAndPort(host: "127.0.0.1", port: 4390)

    /// Every environment variable resolution reads.
    package static let environmentVariables = [
        "CONCLAVE_BIND", "CONCLAVE_STORE", "CONCLAVE_DATA_DIR", "CONCLAVE_ADMINS", "CONCLAVE_SYNC", "XDG_DATA_HOME",
        "HOME",
    ]

    /// The address to listen on.
    package var bind: HostAndPort
    /// Where state is kept.
    package var storage: Storage
    /// Whether a commit, and so an ack, waits for fsync.
    package var sync: SyncMode
    /// In the order given; a name given twice appears once.
    package var admins: [Admin]
    /// Serve `wss://` with these files; `nil` serves plain `ws://`.
    package var tls: TLSFiles?
    /// Timers and queue bounds handed to the dispatch core.
    package var limits: ServerLimits
    /// How much goes to stderr: `-q` only the listening line and fatal errors, `-v` also every request.
    package var verbosity: Verbosity
    /// The budget for all outbound queues together (`--max-memory`); nil for the default, a quarter of the
    /// machine's memory.
    package var maximumMemory: Int?
    /// The most connections from one source address (`--max-per-ip`).
    package var maximumConnectionsPerAddress = 256
    /// Whether loopback is capped too: only when `--max-per-ip` is given, since by default loopback is a reverse
    /// proxy or local tools, many sessions behind one address.
    package var capsLoopback = false

    package init(
        bind: HostAndPort = ServeConfiguration.defaultBind,
        storage: Storage = .ephemeral,
        sync: SyncMode = .normal,
        admins: [Admin] = [],
        tls: TLSFiles? = nil,
        limits: ServerLimits = ServerLimits(),
        verbosity: Verbosity = .normal
    ) {
        self.bind = bind
        self.storage = storage
        self.sync = sync
        self.admins = admins
        self.tls = tls
        self.limits = limits
        self.verbosity = verbosity
    }

    /// Resolves the flags and the environment (`CONCLAVE_BIND`, `CONCLAVE_STORE`, `CONCLAVE_DATA_DIR`,
    /// `CONCLAVE_ADMINS`, `CONCLAVE_SYNC`, `XDG_DATA_HOME`, `HOME`). An empty variable counts as unset.
    package init(arguments: ServeArguments, environment: [String: String]) throws(ServeConfigurationError) {
        func variable(_ name: String) -> String? {
            guard let value = environment[name], !value.isEmpty else { return nil }
            return value
        }

        if arguments.quiet && arguments.verbose {
            throw ServeConfigurationError(.conflictingVerbosity, "-q and -v cannot be combined")
        }
        verbosity = arguments.quiet ? .quiet : arguments.verbose ? .verbose : .normal

        if let text = arguments.bind {
            bind = try Self.parseBind(text, source: "--bind")
        } else if let text = variable("CONCLAVE_BIND") {
            bind = try Self.parseBind(text, source: "CONCLAVE_BIND")
        } else {
            bind = Self.defaultBind
        }

        storage = try Self.resolveStorage(arguments, environment: variable)

        if let text = arguments.sync {
            sync = try Self.parseSync(text, source: "--sync")
        } else if let text = variable("CONCLAVE_SYNC") {
            sync = try Self.parseSync(text, source: "CONCLAVE_SYNC")
        } else {
            sync = .normal
        }

        if !arguments.admins.isEmpty {
            admins = try Self.parseAdmins(arguments.admins, source: "--admin")
        } else if let text = variable("CONCLAVE_ADMINS") {
            let entries = text.split(separator: ",", omittingEmptySubsequences: true).map(String.init)
            admins = try Self.parseAdmins(entries, source: "CONCLAVE_ADMINS")
        } else {
            admins = []
        }

        switch (arguments.tlsCertificate, arguments.tlsKey) {
        case let (certificate?, key?):
            tls = TLSFiles(certificate: certificate, key: key)
        case (nil, nil):
            tls = nil
        case (.some, nil):
            throw ServeConfigurationError(.incompleteTLS, "--tls-cert needs --tls-key")
        case (nil, .some):
            throw ServeConfigurationError(.incompleteTLS, "--tls-key needs --tls-cert")
        }

        var limits = ServerLimits()
        func milliseconds(_ text: String?, flag: String, into value: inout Int64) throws(ServeConfigurationError) {
            if let text { value = try Self.parseSeconds(text, flag: flag) }
        }
        try milliseconds(arguments.handshakeTimeout, flag: "--handshake-timeout", into: &limits.handshakeTimeoutMs)
        try milliseconds(arguments.idleTimeout, flag: "--idle-timeout", into: &limits.idleTimeoutMs)
        try milliseconds(arguments.reapInterval, flag: "--reap-interval", into: &limits.reaperIntervalMs)
        try milliseconds(arguments.retention, flag: "--retention", into: &limits.retentionMs)
        try milliseconds(
            arguments.retentionSweepInterval, flag: "--retention-sweep-interval",
            into: &limits.retentionSweepIntervalMs)
        if let text = arguments.maxQueueFrames {
            limits.queueFrameLimit = try Self.parseCount(text, flag: "--max-queue-frames", allowsSuffix: false)
        }
        if let text = arguments.maxQueueBytes {
            limits.queueByteLimit = try Self.parseCount(text, flag: "--max-queue-bytes", allowsSuffix: true)
        }
        if let text = arguments.maxMemory {
            maximumMemory = try Self.parseCount(text, flag: "--max-memory", allowsSuffix: true)
        }
        if let text = arguments.maxPerAddress {
            maximumConnectionsPerAddress = try Self.parseCount(text, flag: "--max-per-ip", allowsSuffix: false)
            capsLoopback = true
        }
        self.limits = limits
    }

    /// The allowlist the dispatch core checks.
    package var adminAllowlist: AdminAllowlist {
        var allowlist = AdminAllowlist()
        for admin in admins { allowlist.add(admin.username, pinnedKey: admin.pinnedKey) }
        return allowlist
    }

    /// `$XDG_DATA_HOME/conclave` when that is an absolute path (the XDG rule), else `$HOME/.local/share/conclave`.
    package static func defaultDataDirectory(environment: (String) -> String?) -> String? {
        if let base = environment("XDG_DATA_HOME"), base.hasPrefix("/") { return join(base, "conclave") }
        if let home = environment("HOME") { return join(home, ".local/share/conclave") }
        return nil
    }

    // MARK: Resolution steps

    private static func resolveStorage(
        _ arguments: ServeArguments, environment: (String) -> String?
    ) throws(ServeConfigurationError) -> Storage {
        if let url = arguments.store {
            guard arguments.dataDirectory == nil, !arguments.ephemeral else {
                throw ServeConfigurationError(
                    .conflictingStorage, "--store cannot be combined with --data-dir or --ephemeral")
            }
            return .postgres(try checkedStoreURL(url, source: "--store"))
        }
        if let path = arguments.dataDirectory {
            guard !arguments.ephemeral else {
                throw ServeConfigurationError(.conflictingStorage, "--data-dir and --ephemeral cannot be combined")
            }
            return .directory(try checkedDirectory(path, source: "--data-dir"))
        }
        if arguments.ephemeral { return .ephemeral }
        if let url = environment("CONCLAVE_STORE") {
            return .postgres(try checkedStoreURL(url, source: "CONCLAVE_STORE"))
        }
        if let path = environment("CONCLAVE_DATA_DIR") {
            return .directory(try checkedDirectory(path, source: "CONCLAVE_DATA_DIR"))
        }
        guard let path = defaultDataDirectory(environment: environment) else {
            throw ServeConfigurationError(
                .noDataDirectory,
                "no data directory: give --data-dir DIR or --ephemeral (neither XDG_DATA_HOME nor HOME is set)")
        }
        return .directory(path)
    }

    /// The store URL must name PostgreSQL, the one database server there is a store for.
    private static func checkedStoreURL(_ url: String, source: String) throws(ServeConfigurationError) -> String {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
            let shown = PostgresStore.withoutPassword(url)
            throw ServeConfigurationError(
                .invalidStore, "\(source): `\(shown)` is not a postgres:// or postgresql:// URL")
        }
        return url
    }

    private static func checkedDirectory(_ path: String, source: String) throws(ServeConfigurationError) -> String {
        guard !path.isEmpty else { throw ServeConfigurationError(.invalidDataDirectory, "\(source): empty path") }
        guard !path.utf8.contains(0) else {
            throw ServeConfigurationError(.invalidDataDirectory, "\(source): the path contains a NUL byte")
        }
        return path
    }

    private static func parseBind(_ text: String, source: String) throws(ServeConfigurationError) -> HostAndPort {
        do {
            return try HostAndPort(parsing: text)
        } catch {
            throw ServeConfigurationError(.invalidBind, "\(source): \(error.message)")
        }
    }

    private static func parseSync(_ text: String, source: String) throws(ServeConfigurationError) -> SyncMode {
        guard let mode = SyncMode(rawValue: text) else {
            throw ServeConfigurationError(.invalidSync, "\(source): `\(text)` is not a sync mode (normal or full)")
        }
        return mode
    }

    /// `USER` or `USER=PUBKEY`, split at the first `=`. Identical repeats collapse; one name with two pins is
    /// refused, since either choice would surprise.
    private static func parseAdmins(_ entries: [String], source: String) throws(ServeConfigurationError) -> [Admin] {
        var admins: [Admin] = []
        for entry in entries {
            let admin = try parseAdmin(entry, source: source)
            if let index = admins.firstIndex(where: { $0.username == admin.username }) {
                guard admins[index].pinnedKey == admin.pinnedKey else {
                    throw ServeConfigurationError(
                        .conflictingPins, "\(source): admin `\(admin.username)` is given with two different keys")
                }
                continue
            }
            admins.append(admin)
        }
        return admins
    }

    private static func parseAdmin(_ entry: String, source: String) throws(ServeConfigurationError) -> Admin {
        let username: String
        var pinnedKey: String?
        if let equals = entry.firstIndex(of: "=") {
            username = String(entry[..<equals])
            pinnedKey = String(entry[entry.index(after: equals)...])
        } else {
            username = entry
        }
        guard SessionPath.isValidComponent(username) else {
            throw ServeConfigurationError(
                .invalidAdmin, "\(source): invalid admin username `\(username)` (empty or containing '/')")
        }
        guard username.first?.isWhitespace != true, username.last?.isWhitespace != true else {
            throw ServeConfigurationError(
                .invalidAdmin, "\(source): admin username `\(username)` has leading or trailing white space")
        }
        if let key = pinnedKey {
            let decoded: [UInt8]
            do {
                decoded = try Base64URL.decode(key)
            } catch {
                throw ServeConfigurationError(
                    .invalidPinnedKey, "\(source): key `\(key)` for admin `\(username)`: \(error.description)")
            }
            guard decoded.count == 32 else {
                throw ServeConfigurationError(
                    .invalidPinnedKey,
                    "\(source): key `\(key)` for admin `\(username)` is \(decoded.count) bytes, not 32")
            }
        }
        return Admin(username: username, pinnedKey: pinnedKey)
    }

    /// Decimal seconds, fraction allowed (`0.25`, `60`), more than zero and at most 100 years; returned in whole
    /// milliseconds, at least 1.
    static func parseSeconds(_ text: String, flag: String) throws(ServeConfigurationError) -> Int64 {
        let invalid = ServeConfigurationError(
            .invalidDuration, "\(flag): `\(text)` is not a positive number of seconds (example: 1.5)")
        let parts = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty, whole.utf8.count <= 10, isDigits(whole),
              parts.count == 1 || (!parts[1].isEmpty && isDigits(parts[1])),
              let seconds = Double(text), seconds > 0, seconds <= 3_155_760_000
        else { throw invalid }
        return max(1, Int64((seconds * 1000).rounded()))
    }

    /// A positive whole number; with `allowsSuffix`, optionally followed by `K`, `M` or `G` (powers of 1024).
    static func parseCount(_ text: String, flag: String, allowsSuffix: Bool) throws(ServeConfigurationError) -> Int {
        var digits = Substring(text)
        var multiplier = 1
        if allowsSuffix, let last = digits.last, let shift = ["K": 10, "M": 20, "G": 30][last.uppercased()] {
            multiplier = 1 << shift
            digits = digits.dropLast()
        }
        let example = allowsSuffix ? "64M" : "1024"
        let invalid = ServeConfigurationError(
            .invalidLimit, "\(flag): `\(text)` is not a positive whole number (example: \(example))")
        guard !digits.isEmpty, isDigits(digits), let value = Int(digits), value > 0 else { throw invalid }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw invalid }
        return product
    }

    private static func isDigits(_ text: Substring) -> Bool {
        text.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
    }

    private static func join(_ base: String, _ leaf: String) -> String {
        base.hasSuffix("/") ? base + leaf : base + "/" + leaf
    }
}
