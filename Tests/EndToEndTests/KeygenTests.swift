#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveCLI
@testable import ConclaveIdentity
@testable import ConclaveWire

/// `conclave-keygen` run as a process (TOOLS.md "conclave-keygen").
@Suite struct KeygenTests {
    static let testKeyFileText = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    static let testPublicKey = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"

    let sandbox: Sandbox

    init() throws { sandbox = try Sandbox() }

    private func keygen(_ arguments: String..., environment: [String: String] = [:]) throws -> ToolOutcome {
        try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: arguments,
            environment: ToolProcess.environment(home: sandbox.home, environment), timeout: 10)
    }

    @Test func createsTheKeyWithMode0600AndPrintsItsPublicKey() throws {
        let directory = sandbox.path("fresh/conclave")
        let outcome = try keygen("--config-dir", directory)
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        let key = directory + "/key"
        #expect(try sandbox.mode(key) == 0o600)
        let content = try sandbox.read(key)
        #expect(content.count == 43 && !content.contains(UInt8(ascii: "\n")))
        let expected = try KeyFile(path: key).load().signingKey().publicKey.text
        #expect(outcome.stdoutText == expected + "\n")
        #expect(outcome.stderrText.contains("conclave-keygen: created \(key)"))
    }

    @Test func createsMode0600EvenWithAPermissiveUmask() throws {
        let directory = sandbox.path("umask")
        let outcome = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "umask 000 && exec \"$0\" \"$@\"", ToolProcess.binary("conclave-keygen"),
                                   "--config-dir", directory],
            environment: ToolProcess.environment(home: sandbox.home), timeout: 10)
        #expect(outcome.status == 0)
        #expect(try sandbox.mode(directory + "/key") == 0o600)
    }

    @Test func printsTheSameKeyAgainWithoutTouchingIt() throws {
        let first = try keygen("-q")
        let second = try keygen()
        let printed = try keygen("--print")
        #expect(first.status == 0 && second.status == 0 && printed.status == 0)
        #expect(first.stderr.isEmpty)
        #expect(second.stderr.isEmpty)
        #expect(first.stdoutLines.count == 1)
        #expect(second.stdoutText == first.stdoutText)
        #expect(printed.stdoutText == first.stdoutText)
    }

    @Test func forceReplacesTheKeyAtomically() throws {
        let original = try keygen()
        let replaced = try keygen("--force")
        #expect(replaced.status == 0)
        #expect(replaced.stdoutText != original.stdoutText)
        #expect(replaced.stdoutLines.first?.utf8.count == 43)
        let key = sandbox.home + "/.config/conclave/key"
        #expect(try sandbox.mode(key) == 0o600)
        #expect(try sandbox.entries(sandbox.home + "/.config/conclave") == ["key"])
        #expect(try keygen("--print").stdoutText == replaced.stdoutText)
    }

    @Test func printWithoutAKeyIsStatus66AndCreatesNothing() throws {
        let outcome = try keygen("--print")
        #expect(outcome.status == 66)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderrText.hasPrefix("conclave-keygen: key file \(sandbox.home)/.config/conclave/key"))
        #expect(try sandbox.entries(sandbox.home) == [])
    }

    @Test(arguments: [[], ["--print"], ["--enroll", "laptop"]])
    func refusesAKeyFileOthersCanRead(_ arguments: [String]) throws {
        let key = try sandbox.writeKey(Self.testKeyFileText, in: "shared", mode: 0o640)
        let outcome = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: ["--config-dir", sandbox.path("shared")] + arguments,
            environment: ToolProcess.environment(home: sandbox.home), timeout: 10)
        #expect(outcome.status == 77)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderrText.contains("chmod 600 \(key)"), "\(outcome.stderrText)")
        #expect(try sandbox.mode(key) == 0o640, "the mode is the user's to fix")
        #expect(try sandbox.read(key) == Array(Self.testKeyFileText.utf8))
    }

    @Test(arguments: ["", "\n", "  \r\n"])
    func printsTheTestIdentitysPublicKey(_ trailing: String) throws {
        try sandbox.writeKey(Self.testKeyFileText + trailing, in: "vector")
        let outcome = try keygen("--config-dir", sandbox.path("vector"), "--print")
        #expect(outcome.status == 0)
        #expect(outcome.stdoutText == Self.testPublicKey + "\n")
    }

    @Test func malformedKeyIsStatus65AndNeverQuoted() throws {
        try sandbox.writeKey(Self.testKeyFileText + "=", in: "bad")
        let outcome = try keygen("--config-dir", sandbox.path("bad"))
        #expect(outcome.status == 65)
        #expect(outcome.stderrText.contains("padding is not allowed"))
        #expect(!outcome.stderrText.contains(Self.testKeyFileText))
    }

    @Test func aKeyFileHoldingGarbageIsNotAKeyAndNamesItsPath() throws {
        let key = try sandbox.writeKey("garbage\n", in: "garbage")
        let outcome = try keygen("--config-dir", sandbox.path("garbage"), "--print")
        #expect(outcome.status == 65)
        #expect(outcome.stderrText == "conclave-keygen: key file \(key) is not a key "
            + "(43 base64url characters expected, found 7)\n")
    }

    @Test func createsTheConfigDirectoryWithMode0700LikeSsh() throws {
        let directory = sandbox.path("parent/conclave")
        let outcome = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "umask 022 && exec \"$0\" \"$@\"", ToolProcess.binary("conclave-keygen"),
                                   "--config-dir", directory],
            environment: ToolProcess.environment(home: sandbox.home), timeout: 10)
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        #expect(try sandbox.mode(directory) == 0o700)
        #expect(try sandbox.mode(sandbox.path("parent")) == 0o700)
        #expect(try keygen().status == 0)
        #expect(try sandbox.mode(sandbox.home + "/.config/conclave") == 0o700)
    }

    @Test func enrollPrintsTheMachineAddFrame() throws {
        try sandbox.writeKey(Self.testKeyFileText, in: "enroll")
        let outcome = try keygen("--config-dir", sandbox.path("enroll"), "--enroll", "laptop")
        #expect(outcome.status == 0)
        #expect(outcome.stdoutText
            == #"{"type":"admin","op":"machine_add","name":"laptop","pubkey":"\#(Self.testPublicKey)"}"# + "\n")
        let frame = try ProtocolMessage(jsonLine: try #require(outcome.stdoutLines.first))
        let publicKey = try PublicKey(text: Self.testPublicKey)
        #expect(frame == .admin(.machineAdd(name: "laptop", pubkey: publicKey.bytes)))
    }

    @Test func enrollCreatesAMissingKeyFirst() throws {
        let outcome = try keygen("--enroll", "pi")
        #expect(outcome.status == 0)
        let key = try KeyFile(path: sandbox.home + "/.config/conclave/key").load().signingKey().publicKey.text
        #expect(outcome.stdoutText == #"{"type":"admin","op":"machine_add","name":"pi","pubkey":"\#(key)"}"# + "\n")
    }

    @Test(arguments: [["--force", "--print"], ["--enroll", "a/b"], ["--enroll", ""], ["--bogus"], ["extra"]])
    func usageErrorsAreStatus64(_ arguments: [String]) throws {
        let outcome = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: arguments,
            environment: ToolProcess.environment(home: sandbox.home), timeout: 10)
        #expect(outcome.status == 64)
        #expect(outcome.stderrText.hasPrefix("conclave-keygen: "))
        #expect(outcome.stderrText.hasSuffix(" (see conclave-keygen --help)\n"))
        #expect(outcome.stderrText.split(separator: "\n").count == 1)
        #expect(try sandbox.entries(sandbox.home) == [])
    }

    /// A path or flag quoted in a diagnostic cannot set the terminal's title or clear it.
    @Test func controlCharactersOfArgumentsReachStderrEscaped() throws {
        let missing = try keygen("--print", "--config-dir", sandbox.path("\u{1B}]0;owned\u{07}\u{2028}"))
        #expect(missing.status == 66)
        #expect(missing.stderrText.contains(#"/\x1b]0;owned\x07\u{2028}/key"#), "\(missing.stderrText)")
        let usage = try keygen("--bogus\u{1B}[2J\u{9B}2J")
        #expect(usage.status == 64)
        #expect(usage.stderrText.contains(#"--bogus\x1b[2J\x9b2J"#), "\(usage.stderrText)")
    }

    @Test func configDirectoryPrecedence() throws {
        let environment = [
            "CONCLAVE_CONFIG_DIR": sandbox.path("from-conclave"), "XDG_CONFIG_HOME": sandbox.path("xdg"),
        ]
        #expect(try keygen("--config-dir", sandbox.path("from-flag"), environment: environment).status == 0)
        #expect(try sandbox.entries(sandbox.path("from-flag")) == ["key"])
        #expect(try keygen(environment: environment).status == 0)
        #expect(try sandbox.entries(sandbox.path("from-conclave")) == ["key"])
        #expect(try keygen(environment: ["XDG_CONFIG_HOME": sandbox.path("xdg")]).status == 0)
        #expect(try sandbox.entries(sandbox.path("xdg/conclave")) == ["key"])
        #expect(try keygen(environment: ["XDG_CONFIG_HOME": "relative/ignored"]).status == 0)
        #expect(try sandbox.entries(sandbox.home + "/.config/conclave") == ["key"])
    }

    @Test func closedStdoutEndsQuietlyWithStatus0() throws {
        let outcome = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "\"$0\" >&-; echo \"status $?\" >&2", ToolProcess.binary("conclave-keygen")],
            environment: ToolProcess.environment(home: sandbox.home), timeout: 10)
        #expect(outcome.stderrText.hasSuffix("status 0\n"))
        #expect(!outcome.stderrText.contains("cannot write"))
    }

    @Test func versionAndHelp() throws {
        let version = try keygen("--version")
        #expect(version.status == 0)
        #expect(version.stdoutText == ConclaveVersion.text + "\n")
        let help = try keygen("--help")
        #expect(help.status == 0)
        for flag in ["--config-dir", "--force", "--print", "--enroll", "--quiet", "--verbose"] {
            #expect(help.stdoutText.contains(flag))
        }
        let examples = help.stdoutText.split(separator: "(", omittingEmptySubsequences: false)
            .filter { $0.hasPrefix("example:") }
        #expect(examples.count == 6, "every option shows an example")
    }
}
