#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveIdentity

@Suite struct ConfigFileTests {
    /// The file as upstream writes it after two registrations and overrides (PROTOCOL.md §8.4 layout).
    static let upstreamFile = """
        default_permission = "notify"

        [[servers]]
        url = "wss://conclave.example.com"
        username = "aaron"
        machine = "workstation"

        [[servers]]
        url = "ws://127.0.0.1:4390"
        username = "alice"
        machine = "laptop"

        [[overrides]]
        server = "wss://conclave.example.com"
        channel = "ops"
        level = "act"

        [[overrides]]
        server = "wss://conclave.example.com"
        level = "converse"

        """

    private func parse(_ text: String) throws -> ConclaveConfig {
        try ConclaveConfig(toml: Array(text.utf8), path: "config.toml")
    }

    @Test func readsUpstreamsFile() throws {
        let config = try parse(Self.upstreamFile)
        #expect(config.defaultPermission == .notify)
        #expect(config.servers == [
            ServerRegistration(url: "wss://conclave.example.com", username: "aaron", machine: "workstation"),
            ServerRegistration(url: "ws://127.0.0.1:4390", username: "alice", machine: "laptop"),
        ])
        #expect(config.overrides == [
            PermissionOverride(server: "wss://conclave.example.com", channel: "ops", level: .act),
            PermissionOverride(server: "wss://conclave.example.com", channel: nil, level: .converse),
        ])
    }

    @Test func writesUpstreamsLayoutByteForByte() throws {
        let config = try parse(Self.upstreamFile)
        #expect(config.tomlText == Self.upstreamFile)
        #expect(try parse(config.tomlText) == config)
    }

    @Test func overrideBlocksQuoteThemselves() {
        let whisper = PermissionOverride(server: "ws://h", channel: nil, level: .converse)
        #expect(whisper.tomlBlock == "[[overrides]]\nserver = \"ws://h\"\nlevel = \"converse\"\n")
        let channel = PermissionOverride(server: "ws://h", channel: "ops", level: .act)
        #expect(channel.tomlBlock == "[[overrides]]\nserver = \"ws://h\"\nchannel = \"ops\"\nlevel = \"act\"\n")
    }

    @Test func writesEmptyListsInline() throws {
        #expect(ConclaveConfig().tomlText == "default_permission = \"notify\"\n", "no `overrides = []` to collide with")
        #expect(try parse(ConclaveConfig().tomlText) == ConclaveConfig())
    }

    @Test func readsAHandEditedFileWithCommentsAndUnknownKeys() throws {
        let config = try parse("""
            # my conclave settings
            default_permission = 'mute'   # quiet by default
            future_option = { nested = [1, 2.5, true] }

            [[servers]]  # the work server
            url = "wss://conclave.example.com"
            "username" = "aaron"
            machine = "work\\u0073tation"
            added_by = "upstream 2.0"

            [[overrides]]
            server = "wss://conclave.example.com"
            level = "act"          # whispers

            [future_table]
            x = 1
            """)
        #expect(config.defaultPermission == .mute)
        #expect(config.servers == [
            ServerRegistration(url: "wss://conclave.example.com", username: "aaron", machine: "workstation"),
        ])
        #expect(config.permission(server: "wss://conclave.example.com", channel: nil) == .act)
    }

    @Test func roundTripsStringsThatNeedEscaping() throws {
        var config = ConclaveConfig(defaultPermission: .converse)
        config.register(url: "ws://h/\"q\"\\path", username: "tab\there", machine: "bell\u{07}é\u{7F}\n")
        let text = config.tomlText
        #expect(text.contains(#"url = "ws://h/\"q\"\\path""#))
        #expect(text.contains(#"machine = "bell\u0007é\u007F\n""#))
        #expect(try parse(text) == config)
    }

    @Test func resolvesPermissionsByExactURLAndScope() throws {
        let config = try parse(Self.upstreamFile)
        let server = "wss://conclave.example.com"
        #expect(config.permission(server: server, channel: "ops") == .act)
        #expect(config.permission(server: server, channel: nil) == .converse)
        #expect(config.permission(server: server, channel: "dev") == .notify, "no per-server default")
        #expect(config.permission(server: server + "/", channel: "ops") == .notify, "URLs compare as strings")
        #expect(config.permission(server: "ws://127.0.0.1:4390", channel: nil) == .notify)
    }

    @Test func firstMatchingOverrideWins() throws {
        let config = try parse("""
            default_permission = "converse"
            [[overrides]]
            server = "s"
            channel = "c"
            level = "mute"
            [[overrides]]
            server = "s"
            channel = "c"
            level = "act"
            """)
        #expect(config.permission(server: "s", channel: "c") == .mute)
        #expect(config.permission(server: "s", channel: "d") == .converse)
    }

    @Test func registerReplacesTheEntryWithTheSameURL() throws {
        var config = try parse(Self.upstreamFile)
        config.register(url: "wss://conclave.example.com", username: "aaron", machine: "laptop")
        config.register(url: "ws://new", username: "bob", machine: "pi")
        #expect(config.servers.map(\.url) == ["wss://conclave.example.com", "ws://127.0.0.1:4390", "ws://new"])
        #expect(config.servers[0].machine == "laptop")
        #expect(config.registration(url: "ws://new")?.username == "bob")
    }

    @Test func registerCollapsesHandEditedDuplicates() throws {
        var config = ConclaveConfig(servers: [
            ServerRegistration(url: "u", username: "a", machine: "1"),
            ServerRegistration(url: "v", username: "b", machine: "2"),
            ServerRegistration(url: "u", username: "c", machine: "3"),
        ])
        config.register(url: "u", username: "d", machine: "4")
        #expect(config.servers == [
            ServerRegistration(url: "u", username: "d", machine: "4"),
            ServerRegistration(url: "v", username: "b", machine: "2"),
        ])
    }

    @Test func removingAServerRemovesItsOverrides() throws {
        var config = try parse(Self.upstreamFile)
        let removed = config.removeServer(url: "wss://conclave.example.com")
        #expect(removed)
        #expect(config.servers.map(\.url) == ["ws://127.0.0.1:4390"])
        #expect(config.overrides.isEmpty)
        let removedAgain = config.removeServer(url: "wss://conclave.example.com")
        #expect(!removedAgain)
    }

    @Test(arguments: [
        ("default_permission = \"loud\"",
         "config.toml:1:1: `default_permission` must be one of mute, notify, converse, act, not \"loud\""),
        ("default_permission = 3", "config.toml:1:1: `default_permission` must be a string, not an integer"),
        ("[[servers]]\nurl = \"u\"\nusername = \"a\"", "config.toml:1:1: missing `machine` in this table"),
        ("x = 1\n[[servers]]\nurl = 5", "config.toml:3:1: `url` must be a string, not an integer"),
        ("servers = \"one\"", "config.toml:1:1: `servers` must be an array of tables ([[servers]]), not a string"),
        ("servers = [1]", "config.toml:1:1: `servers` must hold only tables, not an integer"),
        ("[[overrides]]\nserver = \"s\"", "config.toml:1:1: missing `level` in this table"),
        ("[[overrides]]\nserver = \"s\"\nchannel = false\nlevel = \"act\"",
         "config.toml:3:1: `channel` must be a string, not a boolean"),
        ("default_permission = \"notify", "config.toml:1:29: unterminated string"),
    ])
    func refusesBadContentNamingThePlace(_ text: String, _ expected: String) {
        let error = #expect(throws: ConfigError.self) { try parse(text) }
        #expect(error?.description == expected)
        #expect(error?.exitStatus == .dataError)
    }

    @Test func missingFileMeansDefaults() throws {
        let directory = try TemporaryDirectory()
        #expect(try ConclaveConfig.load(from: directory.appending("none/config.toml")) == ConclaveConfig())
    }

    @Test func savesAtomicallyWithMode0600AndLoadsBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.appending("sub/config.toml")
        var config = ConclaveConfig()
        config.register(url: "ws://127.0.0.1:4390", username: "alice", machine: "laptop")
        try config.save(to: path)
        #expect(try fileMode(path) == 0o600)
        #expect(try fileMode(directory.appending("sub")) == 0o700, "the directory holds the identity, as ~/.ssh")
        #expect(try ConclaveConfig.load(from: path) == config)
        #expect(String(decoding: try readFile(path), as: UTF8.self) == config.tomlText)
    }

    @Test func concurrentUpdatesLoseNothing() async throws {
        let directory = try TemporaryDirectory()
        let path = directory.appending("locked/config.toml")
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try? ConclaveConfig.update(at: path) { config in
                        config.register(url: "ws://server\(index)", username: "u", machine: "m")
                    }
                }
            }
        }
        let config = try ConclaveConfig.load(from: path)
        #expect(Set(config.servers.map(\.url)) == Set((0..<8).map { "ws://server\($0)" }))
    }

    @Test func saveKeepsAnExistingMode() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(Self.upstreamFile, to: "config.toml", mode: 0o644)
        var config = try ConclaveConfig.load(from: path)
        config.removeServer(url: "ws://127.0.0.1:4390")
        try config.save(to: path)
        #expect(try fileMode(path) == 0o644)
        #expect(try ConclaveConfig.load(from: path) == config)
    }

    @Test func loadReportsADirectoryAsAnError() throws {
        let directory = try TemporaryDirectory()
        mkdir(directory.appending("config.toml"), 0o700)
        let error = #expect(throws: ConfigError.self) {
            try ConclaveConfig.load(from: directory.appending("config.toml"))
        }
        #expect(error?.exitStatus == .failure)
    }

    @Test func loadNamesTheFileInContentErrors() throws {
        let directory = try TemporaryDirectory()
        let text = "[[servers]]\nurl = 'u'\nusername = 'a'\nmachine = 'm'\nurl = 'v'\n"
        let path = try directory.write(text, to: "c.toml")
        let error = #expect(throws: ConfigError.self) { try ConclaveConfig.load(from: path) }
        #expect(error?.description == "\(path):5:1: duplicate key `url`")
    }

    @Test func loadRefusesAFileOverTheLimit() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(
            "# " + String(repeating: "x", count: TOMLReader.maximumByteCount) + "\n", to: "config.toml")
        let error = #expect(throws: ConfigError.self) { try ConclaveConfig.load(from: path) }
        #expect(error?.message == "file is larger than 1 MiB")
    }

    @Test func levelsAreOrdered() {
        #expect(PermissionLevel.allCases.sorted() == [.mute, .notify, .converse, .act])
        #expect(PermissionLevel.allCases.filter(\.allowsSending) == [.converse, .act])
    }
}
