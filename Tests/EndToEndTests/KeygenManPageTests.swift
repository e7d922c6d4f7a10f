#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Every command in the EXAMPLES section of `man/conclave-keygen.1` runs, literally, in order, in a sandbox home.
/// `ssh HOST CMD` is a stub that runs CMD here; `conclave-send` is a stub printing its input when the real tool
/// has not been built, so the enrolment pipeline is checked for the line it would send.
@Suite struct KeygenManPageTests {
    static var manPagePath: String {
        let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        return components.dropLast(3).joined(separator: "/") + "/man/conclave-keygen.1"
    }

    /// The `.Dl $ command` lines of the EXAMPLES section.
    static func exampleCommands() throws -> [String] {
        let text = String(decoding: try readWholeFile(manPagePath), as: UTF8.self)
        var inExamples = false
        var commands: [String] = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix(".Sh ") { inExamples = line == ".Sh EXAMPLES" }
            if inExamples && line.hasPrefix(".Dl $ ") { commands.append(String(line.dropFirst(6))) }
        }
        return commands
    }

    @Test func everyExampleRunsInOrder() throws {
        let commands = try Self.exampleCommands()
        #expect(commands.count >= 6)
        let sandbox = try Sandbox()
        let stubs = sandbox.path("stubs")
        mkdir(stubs, 0o700)
        try sandbox.writeFile(stubs + "/ssh", "#!/bin/sh\nshift\nexec \"$@\"\n", mode: 0o700)
        if access(ToolProcess.binary("conclave-send"), X_OK) != 0 {
            try sandbox.writeFile(
                stubs + "/conclave-send", "#!/bin/sh\n[ \"$1\" = --json ] || exit 64\nexec cat\n", mode: 0o700)
        }
        let path = "\(stubs):\(ToolProcess.binaryDirectory):/usr/bin:/bin"
        let environment = ToolProcess.environment(home: sandbox.home, ["PATH": path])
        for command in commands {
            let outcome = try ToolProcess.run(
                "/bin/sh", arguments: ["-c", command], environment: environment, workingDirectory: sandbox.home,
                timeout: 10)
            #expect(outcome.status == 0, "`\(command)`: \(outcome.termination), stderr: \(outcome.stderrText)")
            if command.contains("--enroll") {
                #expect(outcome.stdoutText.hasPrefix(#"{"type":"admin","op":"machine_add","name":"laptop","pubkey":""#))
            }
        }
        #expect(try sandbox.mode(sandbox.home + "/.config/conclave/key") == 0o600)
        #expect(try sandbox.entries(sandbox.home + "/.config/conclave-agent") == ["key"])
    }
}
