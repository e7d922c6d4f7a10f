import Testing
@testable import ConclaveServer
@testable import ConclaveTransport

@Suite("conclave-serve configuration")
struct ServeConfigurationTests {
    /// The test identity's public key (PROTOCOL.md §5.1).
    static let testKey = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"

    private func resolve(
        _ arguments: ServeArguments = ServeArguments(), environment: [String: String] = ["HOME": "/home/u"]
    ) throws(ServeConfigurationError) -> ServeConfiguration {
        try ServeConfiguration(arguments: arguments, environment: environment)
    }

    private func refusal(
        _ arguments: ServeArguments, environment: [String: String] = ["HOME": "/home/u"]
    ) -> ServeConfigurationError? {
        do {
            _ = try resolve(arguments, environment: environment)
            return nil
        } catch {
            return error
        }
    }

    @Test func defaultsAreLoopbackAndTheXDGDataDirectory() throws {
        let configuration = try resolve()
        #expect(configuration.bind == HostAndPort(host: "127.0.0.1", port: 4390))
        #expect(configuration.storage == .directory("/home/u/.local/share/conclave"))
        #expect(configuration.admins.isEmpty)
        #expect(configuration.tls == nil)
        #expect(configuration.limits == ServerLimits())
        #expect(configuration.verbosity == .normal)
    }

    /// A reverse proxy on the same machine brings every session from loopback: only an explicit `--max-per-ip`
    /// caps it.
    @Test func thePerAddressCapLeavesLoopbackAloneUnlessGiven() throws {
        let defaults = try resolve()
        #expect(defaults.maximumConnectionsPerAddress == 256 && !defaults.capsLoopback)
        var arguments = ServeArguments()
        arguments.maxPerAddress = "16"
        let given = try resolve(arguments)
        #expect(given.maximumConnectionsPerAddress == 16 && given.capsLoopback)
    }

    @Test func xdgDataHomeWinsOverHomeOnlyWhenAbsolute() throws {
        let absolute = try resolve(environment: ["HOME": "/home/u", "XDG_DATA_HOME": "/data/"])
        #expect(absolute.storage == .directory("/data/conclave"))
        let relative = try resolve(environment: ["HOME": "/home/u", "XDG_DATA_HOME": "data"])
        #expect(relative.storage == .directory("/home/u/.local/share/conclave"))
    }

    @Test func noHomeAndNoDirectoryIsAUsageError() {
        let error = refusal(ServeArguments(), environment: [:])
        #expect(error?.code == .noDataDirectory)
        #expect(error?.exitStatus == .usage)
        var ephemeral = ServeArguments()
        ephemeral.ephemeral = true
        #expect(refusal(ephemeral, environment: [:]) == nil)
    }

    @Test func flagsBeatTheEnvironment() throws {
        let environment = [
            "HOME": "/home/u", "CONCLAVE_BIND": "0.0.0.0:5000", "CONCLAVE_DATA_DIR": "/env/data",
            "CONCLAVE_ADMINS": "root",
        ]
        let fromEnvironment = try resolve(environment: environment)
        #expect(fromEnvironment.bind == HostAndPort(host: "0.0.0.0", port: 5000))
        #expect(fromEnvironment.storage == .directory("/env/data"))
        #expect(fromEnvironment.admins == [.init(username: "root")])

        var arguments = ServeArguments()
        arguments.bind = "[::1]:0"
        arguments.ephemeral = true
        arguments.admins = ["alice"]
        let fromFlags = try resolve(arguments, environment: environment)
        #expect(fromFlags.bind == HostAndPort(host: "::1", port: 0))
        #expect(fromFlags.storage == .ephemeral)
        #expect(fromFlags.admins == [.init(username: "alice")])

        arguments.ephemeral = false
        arguments.dataDirectory = "rel/dir"
        #expect(try resolve(arguments, environment: environment).storage == .directory("rel/dir"))
    }

    @Test func emptyVariablesCountAsUnset() throws {
        let configuration = try resolve(
            environment: ["HOME": "/h", "CONCLAVE_BIND": "", "CONCLAVE_DATA_DIR": "", "CONCLAVE_ADMINS": ""])
        #expect(configuration.bind == ServeConfiguration.defaultBind)
        #expect(configuration.storage == .directory("/h/.local/share/conclave"))
        #expect(configuration.admins.isEmpty)
    }

    @Test func syncIsNormalUnlessAFlagOrTheEnvironmentSaysFull() throws {
        #expect(try resolve().sync == .normal)
        #expect(try resolve(environment: ["HOME": "/h", "CONCLAVE_SYNC": "full"]).sync == .full)
        var arguments = ServeArguments()
        arguments.sync = "normal"
        #expect(try resolve(arguments, environment: ["HOME": "/h", "CONCLAVE_SYNC": "full"]).sync == .normal)
        arguments.sync = "FULL"
        #expect(refusal(arguments)?.code == .invalidSync)
        #expect(refusal(ServeArguments(), environment: ["HOME": "/h", "CONCLAVE_SYNC": "off"])?.message
            == "CONCLAVE_SYNC: `off` is not a sync mode (normal or full)")
    }

    @Test func dataDirectoryAndEphemeralAreExclusive() {
        var arguments = ServeArguments()
        arguments.dataDirectory = "/x"
        arguments.ephemeral = true
        #expect(refusal(arguments)?.code == .conflictingStorage)
        arguments.ephemeral = false
        arguments.dataDirectory = ""
        #expect(refusal(arguments)?.code == .invalidDataDirectory)
    }

    @Test func storeSelectsPostgreSQLAndTheEnvironmentFallsBackToIt() throws {
        let url = "postgres://conclave:secret@db:5432/conclave"
        var arguments = ServeArguments()
        arguments.store = url
        #expect(try resolve(arguments).storage == .postgres(url))
        arguments.store = "postgresql://db/conclave"
        #expect(try resolve(arguments, environment: ["HOME": "/h", "CONCLAVE_DATA_DIR": "/d"]).storage
            == .postgres("postgresql://db/conclave"))

        let environment = ["HOME": "/h", "CONCLAVE_STORE": url, "CONCLAVE_DATA_DIR": "/d"]
        #expect(try resolve(environment: environment).storage == .postgres(url))
        var directory = ServeArguments()
        directory.dataDirectory = "/x"
        #expect(try resolve(directory, environment: environment).storage == .directory("/x"))
        var ephemeral = ServeArguments()
        ephemeral.ephemeral = true
        #expect(try resolve(ephemeral, environment: environment).storage == .ephemeral)
    }

    @Test func storeIsExclusiveWithDataDirectoryAndEphemeral() {
        var arguments = ServeArguments()
        arguments.store = "postgres://db/conclave"
        arguments.dataDirectory = "/x"
        #expect(refusal(arguments)?.message == "--store cannot be combined with --data-dir or --ephemeral")
        arguments.dataDirectory = nil
        arguments.ephemeral = true
        #expect(refusal(arguments)?.code == .conflictingStorage)
    }

    @Test(arguments: ["mysql://db/conclave", "sqlite:///var/lib/conclave.db", "/var/lib/conclave", "", "postgres:/db"])
    func storeURLsOtherThanPostgreSQLAreRefused(_ url: String) {
        var arguments = ServeArguments()
        arguments.store = url
        let error = refusal(arguments)
        #expect(error?.code == .invalidStore)
        #expect(error?.message == "--store: `\(url)` is not a postgres:// or postgresql:// URL")
        #expect(refusal(ServeArguments(), environment: ["HOME": "/h", "CONCLAVE_STORE": "mysql://u:pw@db/c"])?.message
            == "CONCLAVE_STORE: `mysql://u@db/c` is not a postgres:// or postgresql:// URL")
    }

    @Test(arguments: ["4390", "localhost", ":4390", "127.0.0.1:65536", "127.0.0.1:-1", "::1:4390", "[::1]4390"])
    func badBindAddressesAreRefused(_ text: String) {
        var arguments = ServeArguments()
        arguments.bind = text
        let error = refusal(arguments)
        #expect(error?.code == .invalidBind)
        #expect(error?.message.hasPrefix("--bind: ") == true)
        #expect(refusal(ServeArguments(), environment: ["HOME": "/h", "CONCLAVE_BIND": text])?.message
            .hasPrefix("CONCLAVE_BIND: ") == true)
    }

    @Test func adminsArePinnedOrNotAndDeduplicated() throws {
        var arguments = ServeArguments()
        arguments.admins = ["alice=\(Self.testKey)", "bob", "alice=\(Self.testKey)", "carol"]
        let configuration = try resolve(arguments)
        #expect(configuration.admins == [
            .init(username: "alice", pinnedKey: Self.testKey), .init(username: "bob"), .init(username: "carol"),
        ])
        let allowlist = configuration.adminAllowlist
        #expect(allowlist.contains("bob"))
        #expect(allowlist.pinnedKey(for: "alice") == Self.testKey)
        #expect(allowlist.pinnedKey(for: "bob") == nil)
    }

    @Test func adminsFromTheEnvironmentAreCommaSeparated() throws {
        let configuration = try resolve(environment: ["HOME": "/h", "CONCLAVE_ADMINS": "root,,ops=\(Self.testKey),"])
        #expect(configuration.admins == [.init(username: "root"), .init(username: "ops", pinnedKey: Self.testKey)])
    }

    @Test(arguments: [
        ("", ServeConfigurationError.Code.invalidAdmin),
        ("a/b", .invalidAdmin),
        ("=\(testKey)", .invalidAdmin),
        (" alice", .invalidAdmin),
        ("alice=", .invalidPinnedKey),
        ("alice=\(testKey)=", .invalidPinnedKey),
        ("alice=\(testKey.dropLast())", .invalidPinnedKey),
        ("alice=AAAA", .invalidPinnedKey),
        ("alice=\(testKey.dropLast())h", .invalidPinnedKey),
    ])
    func badAdminEntriesAreRefusedByName(_ entry: String, _ code: ServeConfigurationError.Code) {
        var arguments = ServeArguments()
        arguments.admins = [entry]
        let error = refusal(arguments)
        #expect(error?.code == code)
        #expect(error?.message.hasPrefix("--admin: ") == true)
    }

    @Test func oneAdminWithTwoPinsIsRefused() {
        var arguments = ServeArguments()
        arguments.admins = ["alice", "alice=\(Self.testKey)"]
        #expect(refusal(arguments)?.code == .conflictingPins)
    }

    @Test func tlsNeedsBothFiles() throws {
        var arguments = ServeArguments()
        arguments.tlsCertificate = "cert.pem"
        #expect(refusal(arguments)?.code == .incompleteTLS)
        arguments.tlsKey = "key.pem"
        #expect(try resolve(arguments).tls == .init(certificate: "cert.pem", key: "key.pem"))
        arguments.tlsCertificate = nil
        #expect(refusal(arguments)?.code == .incompleteTLS)
    }

    @Test func timersAcceptFractionalSeconds() throws {
        var arguments = ServeArguments()
        arguments.handshakeTimeout = "0.5"
        arguments.idleTimeout = "2"
        arguments.reapInterval = "0.25"
        arguments.retention = "86400"
        arguments.retentionSweepInterval = "0.0001"
        let limits = try resolve(arguments).limits
        #expect(limits.handshakeTimeoutMs == 500)
        #expect(limits.idleTimeoutMs == 2000)
        #expect(limits.reaperIntervalMs == 250)
        #expect(limits.retentionMs == 86_400_000)
        #expect(limits.retentionSweepIntervalMs == 1)
    }

    @Test(arguments: ["0", "0.0", "-1", "abc", "1e3", "inf", "nan", ".5", "5.", " 5", "+5", "", "99999999999"])
    func badDurationsAreRefused(_ text: String) {
        var arguments = ServeArguments()
        arguments.idleTimeout = text
        let error = refusal(arguments)
        #expect(error?.code == .invalidDuration)
        #expect(error?.message.hasPrefix("--idle-timeout: ") == true)
    }

    @Test func queueLimitsTakeBinarySuffixes() throws {
        var arguments = ServeArguments()
        arguments.maxQueueFrames = "16"
        arguments.maxQueueBytes = "64k"
        var limits = try resolve(arguments).limits
        #expect(limits.queueFrameLimit == 16)
        #expect(limits.queueByteLimit == 65_536)
        arguments.maxQueueBytes = "2G"
        limits = try resolve(arguments).limits
        #expect(limits.queueByteLimit == 2 << 30)
    }

    @Test(arguments: ["0", "-5", "1.5", "M", "12X", "99999999999999999999", "9999999999999999G"])
    func badQueueLimitsAreRefused(_ text: String) {
        var arguments = ServeArguments()
        arguments.maxQueueBytes = text
        #expect(refusal(arguments)?.code == .invalidLimit)
        arguments.maxQueueBytes = nil
        arguments.maxQueueFrames = text
        #expect(refusal(arguments)?.code == .invalidLimit)
    }

    @Test func quietAndVerboseAreExclusive() throws {
        var arguments = ServeArguments()
        arguments.quiet = true
        #expect(try resolve(arguments).verbosity == .quiet)
        arguments.verbose = true
        #expect(refusal(arguments)?.code == .conflictingVerbosity)
        arguments.quiet = false
        #expect(try resolve(arguments).verbosity == .verbose)
    }
}
