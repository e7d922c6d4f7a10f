#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveIdentity

/// Writing `config.toml` edits the user's file instead of regenerating it (issue 10, items 4 to 6).
@Suite struct ConfigDocumentTests {
    /// A hand-edited file: comments everywhere, blank lines, TOML the tool does not use, keys it does not know.
    static let handEdited = """
        # conclave settings, edited by hand
        default_permission = "notify"   # quiet unless told otherwise
        ui.color = true

        # the first server
        [[servers]]
        url = "wss://a.example"
        username = "alice"   # my name there
        machine = "laptop"
        note = 'unknown key, kept'

        [[servers]]
        url = "wss://b.example"
        username = "old"
        machine = "old"

        [ui.theme]
        name = "dark"
        since = 2024-05-01T08:00:00Z

        [[overrides]]
        server = "wss://a.example"  # whispers
        level = "converse"
        """

    private func updated(_ text: String, _ change: (inout ConclaveConfig) -> Void) throws -> String {
        let directory = try TemporaryDirectory()
        let path = try directory.write(text, to: "config.toml")
        try ConclaveConfig.update(at: path) { config in change(&config) }
        return String(decoding: try readFile(path), as: UTF8.self)
    }

    @Test func registeringAKnownURLChangesOnlyItsValues() throws {
        let text = try updated(Self.handEdited) { $0.register(url: "wss://b.example", username: "bob", machine: "pi") }
        #expect(text == Self.handEdited.replacingOccurrences(
            "username = \"old\"\nmachine = \"old\"", "username = \"bob\"\nmachine = \"pi\""))
    }

    @Test func registeringANewURLAppendsAfterTheLastServer() throws {
        let text = try updated(Self.handEdited) { $0.register(url: "ws://new", username: "carol", machine: "box") }
        let block = "\n[[servers]]\nurl = \"ws://new\"\nusername = \"carol\"\nmachine = \"box\"\n"
        #expect(text == Self.handEdited.replacingOccurrences(
            "machine = \"old\"\n", "machine = \"old\"\n" + block))
        let config = try ConclaveConfig(toml: Array(text.utf8), path: "config.toml")
        #expect(config.servers.map(\.url) == ["wss://a.example", "wss://b.example", "ws://new"])
    }

    @Test func registeringInAFileWithoutServersAppendsAtTheEnd() throws {
        let original = "# mine\nui.color = true  # kept\n\n[ui.theme]\nname = \"dark\""
        let text = try updated(original) { $0.register(url: "ws://h", username: "u", machine: "m") }
        #expect(text == original + "\n\n[[servers]]\nurl = \"ws://h\"\nusername = \"u\"\nmachine = \"m\"\n")
    }

    @Test func aFileFromAnOlderVersionLosesItsEmptyArraysSoOverridesCanBeAdded() throws {
        let original = "default_permission = \"notify\"\nservers = []\noverrides = []\n"
        let text = try updated(original) { $0.register(url: "ws://h", username: "u", machine: "m") }
        #expect(text == "default_permission = \"notify\"\n\n[[servers]]\nurl = \"ws://h\"\nusername = \"u\"\n"
            + "machine = \"m\"\n")
        let edited = text + "\n" + PermissionOverride(server: "ws://h", channel: "ops", level: .converse).tomlBlock
        let config = try ConclaveConfig(toml: Array(edited.utf8), path: "config.toml")
        #expect(config.permission(server: "ws://h", channel: "ops") == .converse)
    }

    @Test func aNewFileHasNoEmptyArrays() throws {
        let directory = try TemporaryDirectory()
        let path = directory.appending("new/config.toml")
        try ConclaveConfig.update(at: path) { $0.register(url: "ws://h", username: "u", machine: "m") }
        let text = String(decoding: try readFile(path), as: UTF8.self) + "\n[[overrides]]\nserver = \"ws://h\"\n"
            + "level = \"act\"\n"
        let config = try ConclaveConfig(toml: Array(text.utf8), path: path)
        #expect(config.permission(server: "ws://h", channel: nil) == .act)
    }

    @Test func removingAServerRemovesOnlyItsBlocks() throws {
        let text = try updated(Self.handEdited) { $0.removeServer(url: "wss://a.example") }
        #expect(text == """
            # conclave settings, edited by hand
            default_permission = "notify"   # quiet unless told otherwise
            ui.color = true

            # the first server

            [[servers]]
            url = "wss://b.example"
            username = "old"
            machine = "old"

            [ui.theme]
            name = "dark"
            since = 2024-05-01T08:00:00Z

            """)
    }

    @Test func changingTheDefaultEditsItsValueOrAddsIt() throws {
        let text = try updated(Self.handEdited) { $0.defaultPermission = .act }
        #expect(text == Self.handEdited.replacingOccurrences("= \"notify\"   #", "= \"act\"   #"))
        let added = try updated("# top\n[[servers]]\nurl = \"u\"\nusername = \"a\"\nmachine = \"m\"\n") {
            $0.defaultPermission = .mute
        }
        #expect(added == "# top\ndefault_permission = \"mute\"\n[[servers]]\nurl = \"u\"\nusername = \"a\"\n"
            + "machine = \"m\"\n")
    }

    @Test func anInlineArrayOfServersStaysInline() throws {
        let original = "# inline\nservers = [{ url = \"ws://a\", username = \"u\", machine = \"m\" }] # list\n"
        let text = try updated(original) { $0.register(url: "ws://b", username: "v", machine: "n") }
        #expect(text == "# inline\nservers = [\n    { url = \"ws://a\", username = \"u\", machine = \"m\" },\n"
            + "    { url = \"ws://b\", username = \"v\", machine = \"n\" },\n] # list\n")
    }

    @Test func overridesGainAndLoseTheirChannelInPlace() throws {
        let original = "[[overrides]]\nserver = \"s\" # one\nlevel = \"act\"\n"
        let directory = try TemporaryDirectory()
        let path = try directory.write(original, to: "config.toml")
        var config = try ConclaveConfig.load(from: path)
        config.overrides[0].channel = "ops"
        try config.save(to: path)
        #expect(String(decoding: try readFile(path), as: UTF8.self) == original + "channel = \"ops\"\n")
        config.overrides[0].channel = nil
        try config.save(to: path)
        #expect(String(decoding: try readFile(path), as: UTF8.self) == original)
    }
}

private extension String {
    func replacingOccurrences(_ target: String, _ replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
