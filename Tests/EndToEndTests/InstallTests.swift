#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclavePOSIX

/// `make install` and `make uninstall` (into a DESTDIR, from the binaries the tests run), and the README
/// quickstart run as written (the install into a DESTDIR, the server on a free port).
@Suite(.serialized) struct InstallTests {
    static let repository = FilePaths.directory(of: FilePaths.directory(of: FilePaths.directory(of: #filePath)))
    static let tools = ["conclave-keygen", "conclave-connect", "conclave-send", "conclave-recv", "conclave-serve"]
    static let pages = ["man1/conclave-connect.1", "man1/conclave-keygen.1", "man1/conclave-recv.1",
                        "man1/conclave-send.1", "man1/conclave-serve.1", "man5/conclave-ndjson.5", "man7/conclave.7"]

    private static func shell(_ script: String, in sandbox: Sandbox, path: String? = nil) throws -> ToolOutcome {
        var environment = ToolProcess.environment(home: sandbox.home)
        if let path { environment["PATH"] = path + ":" + (environment["PATH"] ?? "/usr/bin:/bin") }
        return try ToolProcess.run(
            "/bin/bash", arguments: ["-c", script], environment: environment, workingDirectory: repository,
            timeout: 120)
    }

    @Test func installPutsEverythingUnderDestdirAndUninstallTakesItAway() throws {
        let sandbox = try Sandbox()
        let stage = sandbox.path("stage"), prefix = sandbox.path("stage") + "/usr/local"
        let install = try Self.shell(
            "make -s install PREFIX=/usr/local DESTDIR=\(stage) BIN_DIR=\(ToolProcess.binaryDirectory)", in: sandbox)
        try #require(install.status == 0, "\(install.stderrText)")
        var files = Self.tools.flatMap { tool in
            ["bin/\(tool)", "share/bash-completion/completions/\(tool)", "share/zsh/site-functions/_\(tool)",
             "share/fish/vendor_completions.d/\(tool).fish"]
        }
        files += Self.pages.map { "share/man/" + $0 }
        files += ["bin/conclave-hook"] + ["settings.json", "SKILL.md", "conclave-hook"].map {
            "share/conclave/claude-code/" + $0
        }
        for file in files {
            var info = stat()
            #expect(stat(prefix + "/" + file, &info) == 0 && info.st_size > 0, "\(file)")
        }
        #expect(access(prefix + "/bin/conclave-recv", X_OK) == 0)
        for page in Self.pages {
            let rendered = try Self.shell("MANWIDTH=80 man -l \(prefix)/share/man/\(page)", in: sandbox)
            #expect(rendered.status == 0 && rendered.stdoutText.contains("SYNOPSIS") || page.hasPrefix("man7"),
                    "\(page): \(rendered.stderrText)")
            #expect(rendered.stdoutText.contains("NAME"), "\(page)")
        }
        let uninstall = try Self.shell("make -s uninstall PREFIX=/usr/local DESTDIR=\(stage)", in: sandbox)
        #expect(uninstall.status == 0, "\(uninstall.stderrText)")
        let left = try Self.shell("find \(stage) -type f", in: sandbox)
        #expect(left.stdout.isEmpty, "\(left.stdoutText)")
    }

    @Test func theReadmeQuickstartRunsAsWritten() throws {
        let sandbox = try Sandbox()
        let readme = String(decoding: try readWholeFile(Self.repository + "/README.md"), as: UTF8.self)
        let quickstart = try #require(pieces(of: readme, separatedBy: "## Quickstart").dropFirst().first)
            .split(separator: "\n## ").first.map(String.init) ?? ""
        let blocks = pieces(of: quickstart, separatedBy: "```sh\n").dropFirst()
            .map { pieces(of: $0, separatedBy: "```").first ?? "" }
        try #require(blocks.count == 2)
        let stage = sandbox.path("stage"), port = try ManPageExamples.freePort()
        // Staged and on a free port; everything else as written.
        let script = "set -euo pipefail\n" + (blocks[0] + blocks[1])
            .replacing(
                "make install PREFIX=/usr/local",
                with: "make -s install PREFIX=/usr/local DESTDIR=\(stage) BIN_DIR=\(ToolProcess.binaryDirectory)")
            .replacing("s=/usr/local", with: "s=\(stage)/usr/local")
            .replacing("conclave-serve --ephemeral", with: "conclave-serve --ephemeral --bind 127.0.0.1:\(port)")
            .replacing(":4390", with: ":\(port)")
            // The server the quickstart left running holds stdout open: stopped so that the run ends.
            + "kill $(jobs -p)\n"
        let outcome = try Self.shell(script, in: sandbox, path: stage + "/usr/local/bin")
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        #expect(outcome.stdoutLines.last == "hello from the quickstart", "\(outcome.stdoutText)")
        let settings = try Self.shell("jq -r '.hooks | keys | join(\" \")' ~/.claude/settings.json", in: sandbox)
        #expect(settings.stdoutText == "PostToolUse SessionEnd SessionStart Stop UserPromptSubmit\n")
        #expect(access(sandbox.path(".claude/skills/conclave/SKILL.md"), R_OK) == 0)
    }
}

/// `text` cut at every `separator`, empty pieces kept (what Foundation's `components(separatedBy:)` does).
private func pieces(of text: String, separatedBy separator: String) -> [String] {
    var result: [String] = []
    var rest = Substring(text)
    while let range = rest.firstRange(of: separator) {
        result.append(String(rest[..<range.lowerBound]))
        rest = rest[range.upperBound...]
    }
    result.append(String(rest))
    return result
}
