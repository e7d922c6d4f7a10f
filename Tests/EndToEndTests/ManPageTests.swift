#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveCLI

/// Every command in the EXAMPLES section of every man page runs, literally, in order, in a sandbox home (see
/// `ManPageExamples` for what is rewritten and how servers are stopped). A tool that has not been built yet is a
/// stub that checks what the example hands it.
@Suite struct ManPageTests {
    /// The pages whose examples are run below (conclave-connect's two in `ConnectManPageExampleTests`); a new
    /// page must be added here.
    static let pages = [
        "conclave.7", "conclave-keygen.1", "conclave-serve.1", "conclave-connect.1", "conclave-ndjson.5",
        "conclave-recv.1", "conclave-send.1",
    ]

    /// Only `ssh` is stubbed, every tool an example names must be built: `ssh HOST COMMAND` runs COMMAND here
    /// as another machine would, with a config directory of its own.
    private static func stubs() -> [String: String] {
        ["ssh": "#!/bin/sh\nhost=$1\nshift\nCONCLAVE_CONFIG_DIR=$HOME/.config/conclave-$host exec \"$@\"\n"]
    }

    @Test func everyPageWithExamplesIsCovered() throws {
        let directory = try #require(opendir(
            "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(3)
                .joined(separator: "/") + "/man"))
        defer { closedir(directory) }
        var withExamples: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard name.hasPrefix("conclave") else { continue }
            if try !ManPageExamples(name).examples.isEmpty { withExamples.append(name) }
        }
        #expect(withExamples.sorted() == Self.pages.sorted())
    }

    @Test func conclave7() throws {
        let sandbox = try Sandbox()
        let port = try ManPageExamples.freePort()
        let outcomes = try ManPageExamples("conclave.7").runAll(
            in: sandbox, stubs: Self.stubs(), rewrites: [("4390", "\(port)")],
            variables: ["CONCLAVE_BIND": "127.0.0.1:\(port)"])
        #expect(outcomes.count == 3)
        #expect(outcomes.count == 3 && outcomes[1].stdoutText == "ok")
        #expect(outcomes.last?.stdoutText.contains(#"{"type":"ack","detail":"ops""#) == true)
        #expect(try sandbox.mode(sandbox.home + "/.config/conclave/key") == 0o600)
    }

    @Test func conclaveKeygen1() throws {
        let sandbox = try Sandbox()
        let port = try ManPageExamples.freePort()
        let examples = try ManPageExamples("conclave-keygen.1")
        #expect(examples.examples.count >= 6)
        // Enrolment goes over the link of a machine already registered on a running server.
        let enrolment = try #require(examples.examples.firstIndex { $0.contains("--enroll") })
        let registered = "conclave-serve --ephemeral --bind 127.0.0.1:\(port) 2>/dev/null &\n"
            + "until curl -fs http://127.0.0.1:\(port)/health >/dev/null; do sleep 0.1; done\n"
            + "conclave-connect -q -u ws://127.0.0.1:\(port) --register alice/desk -E </dev/null >/dev/null"
        let outcomes = try examples.runAll(in: sandbox, stubs: Self.stubs(), preludes: [enrolment: registered])
        let enrolled = outcomes.count > enrolment ? outcomes[enrolment].stdoutText : ""
        #expect(enrolled.contains(#"{"type":"ack","detail":"laptop""#), "\(enrolled)")
        #expect(try sandbox.mode(sandbox.home + "/.config/conclave/key") == 0o600)
        #expect(try sandbox.entries(sandbox.home + "/.config/conclave-laptop") == ["key"])
        #expect(try sandbox.entries(sandbox.home + "/.config/conclave-agent") == ["key"])
    }

    /// The footer of every page names the toolkit and its version (an empty `.Os` shows the build host's system).
    @Test(arguments: pages)
    func footerNamesConclaveAndItsVersion(_ page: String) throws {
        let text = String(decoding: try readWholeFile(ManPage.path(page)), as: UTF8.self)
        let os = text.split(separator: "\n").first { $0.hasPrefix(".Os") }
        #expect(os == ".Os conclave \(ConclaveVersion.current)", "\(page)")
    }

    /// Every conclave page a page refers to exists, and so does every tool the `--help` text names: a page or
    /// tool that is only planned is not mentioned until it exists.
    @Test(arguments: pages)
    func everyConclavePageReferredToExists(_ page: String) throws {
        let text = String(decoding: try readWholeFile(ManPage.path(page)), as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix(".") {
            let words = line.split(separator: " ")
            for index in words.indices.dropLast(2) where words[index] == "Xr" || words[index] == ".Xr" {
                guard words[index + 1].hasPrefix("conclave") else { continue }
                let target = "\(words[index + 1]).\(words[index + 2])"
                #expect(access(ManPage.path(target), R_OK) == 0, "\(page): \(line)")
            }
        }
    }

    @Test(arguments: ["conclave-keygen", "conclave-connect", "conclave-serve", "conclave-recv", "conclave-send"])
    func helpNamesOnlyToolsAndPagesThatExist(_ tool: String) throws {
        let help = try ToolProcess.run(
            ToolProcess.binary(tool), arguments: ["--help"], environment: ToolProcess.environment(home: "/nonexistent"),
            timeout: 10)
        #expect(help.status == 0)
        // Words, not paths: `~/.config/conclave-test` is not a tool.
        let names = help.stdoutText.split { $0.isWhitespace || "()\"',.:".contains($0) }
            .filter { $0.hasPrefix("conclave-") }
        #expect(!names.isEmpty)
        for name in Set(names) {
            let isTool = access(ToolProcess.binary(String(name)), X_OK) == 0
            #expect(isTool || access(ManPage.path(name + ".5"), R_OK) == 0, "\(tool) --help names \(name)")
        }
    }

    /// `--help` shows the synopsis of the manual page, not ArgumentParser's `<options>`.
    @Test(arguments: ["conclave-keygen", "conclave-connect", "conclave-serve", "conclave-recv", "conclave-send"])
    func helpShowsTheSynopsisOfThePage(_ tool: String) throws {
        let help = try ToolProcess.run(
            ToolProcess.binary(tool), arguments: ["--help"], environment: ToolProcess.environment(home: "/nonexistent"),
            timeout: 10)
        let lines = help.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
        let usage = lines.drop { !$0.hasPrefix("USAGE: ") }.prefix { !$0.isEmpty }
            .map { $0.replacing("USAGE: ", with: "").split(separator: " ").joined(separator: " ") }
        #expect(!usage.isEmpty && !usage.joined().contains("<options>"), "\(help.stdoutText)")
        guard let page = try ManPage.rendered(tool + ".1") else { return }
        let synopsis = page.split(separator: "\n", omittingEmptySubsequences: false)
            .drop { $0 != "SYNOPSIS" }.dropFirst().prefix { !$0.isEmpty }
            .map { $0.split(separator: " ").joined(separator: " ") }
        #expect(usage == synopsis)
    }

    /// Against a test server alice is registered on, with messages on ops; the directory and server are given
    /// by the environment instead of `~/.config/conclave`.
    @Test func conclaveRecv1() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        try world.post("alice", "ops", ["first", "second with 'quotes'"])
        let examples = try ManPageExamples("conclave-recv.1")
        #expect(examples.examples.count == 7)
        let poster = "(sleep 1; echo '{\"channel\":\"ops\",\"body\":\"next\"}' "
            + "| conclave-connect -q -E -j ops --as poster >/dev/null) &"
        let outcomes = try examples.runAll(
            in: world.sandbox, preludes: [3: poster],
            variables: ["CONCLAVE_CONFIG_DIR": world.directory("alice"), "CONCLAVE_URL": world.url])
        try #require(outcomes.count == 7)
        #expect(bodies(records(outcomes[0].stdoutLines)) == ["first", "second with 'quotes'"])
        #expect(records(outcomes[0].stdoutLines).last?["type"] == "history_end")
        #expect(outcomes[1].stdoutText == "first\n")
        #expect(outcomes[2].stdoutLines.map { $0.split(separator: " ").dropFirst().joined(separator: " ") }
            == ["alice/laptop/poster: first", "alice/laptop/poster: second with 'quotes'"])
        #expect(outcomes[3].stdoutText == "next\n")
        #expect(outcomes[4].stdoutLines == ["first", "second with 'quotes'", "next"])
        #expect(outcomes[5].status == 0 && outcomes[5].stdout.isEmpty)
        #expect(records(outcomes[6].stdoutLines).map { $0["type"] } == ["link_up"])
    }

    /// Every example of conclave-send(1) against a server of its own, with alice registered, `ops` created, bob
    /// online as `bob/laptop/main` and `make` a stub that prints two lines.
    @Test func conclaveSend1() throws {
        let sandbox = try Sandbox()
        let port = try ManPageExamples.freePort()
        let examples = try ManPageExamples("conclave-send.1")
        let url = "ws://127.0.0.1:\(port)"
        let bob = "--config-dir ~/.config/conclave-bob"
        let prelude = """
            conclave-serve --ephemeral --bind 127.0.0.1:\(port) --admin alice 2>/dev/null &
            until curl -fs http://127.0.0.1:\(port)/health >/dev/null; do sleep 0.1; done
            [ -f ~/.config/conclave/key ] || conclave-keygen -q
            [ -f ~/.config/conclave-bob/key ] || conclave-keygen -q \(bob)
            conclave-connect -q --register alice/laptop -E </dev/null >/dev/null
            conclave-connect -q \(bob) --register bob/laptop -E </dev/null >/dev/null
            echo '{"type":"admin","op":"create_channel","name":"ops","visibility":"public"}' \\
                | conclave-send -q --json >/dev/null
            conclave-connect -q \(bob) --as main -j ops >/dev/null &
            until conclave-send -q --to bob/laptop/main ping; do sleep 0.1; done
            """
        let stubs = Self.stubs().merging(["make": "#!/bin/sh\necho compiling\necho done >&2\n"]) { _, new in new }
        let preludes = Dictionary(uniqueKeysWithValues: examples.examples.indices.map { ($0, prelude) })
        let outcomes = try examples.runAll(
            in: sandbox, stubs: stubs, preludes: preludes, variables: ["CONCLAVE_URL": url])
        #expect(outcomes.count == 6)
        #expect(outcomes.count == 6 && outcomes[3].stdoutText.hasPrefix(#"{"type":"presence","channel":"ops""#))
        #expect(outcomes.count == 6 && outcomes[5].stdoutText == """
            {"channel":"ops","body":"1"}
            {"channel":"ops","body":"2"}
            {"channel":"ops","body":"3"}

            """)
    }

    @Test func conclaveServe1() throws {
        let sandbox = try Sandbox()
        let port = try ManPageExamples.freePort()
        let examples = try ManPageExamples("conclave-serve.1")
        #expect(examples.examples.count == 4)
        // "Health and metrics" asks a server that is running; the example before it has stopped its own.
        let server = "conclave-serve --ephemeral --bind 127.0.0.1:\(port) 2>/dev/null &\n"
            + "until curl -fs http://127.0.0.1:\(port)/health >/dev/null; do sleep 0.1; done"
        let outcomes = try examples.runAll(
            in: sandbox, stubs: Self.stubs(),
            rewrites: [("4390", "\(port)"), ("0.0.0.0", "127.0.0.1"), ("/var/lib/conclave", sandbox.path("data"))],
            preludes: [3: server], variables: ["CONCLAVE_BIND": "127.0.0.1:\(port)"])
        #expect(outcomes.count == 4)
        // The shared server kept its state where it was told.
        #expect(access(sandbox.path("data/conclave.sqlite3"), F_OK) == 0)
        // The test server on a free port: its address, read from the log.
        let printed = outcomes.count > 2 ? outcomes[2].stdoutText : ""
        #expect(printed.hasPrefix("127.0.0.1:") && printed.hasSuffix("\n"), "\(printed)")
        #expect(UInt16(printed.dropFirst(10).dropLast()).map { $0 > 0 } == true, "\(printed)")
        // Health and metrics.
        let health = outcomes.count > 3 ? outcomes[3].stdoutText : ""
        #expect(health.hasPrefix("ok") && health.contains("\nconclave_sessions"), "\(health)")
    }
}

/// The manual pages in `man/` of this checkout.
enum ManPage {
    /// The path of `man/<page>` (for instance `conclave-serve.1`).
    static func path(_ page: some StringProtocol) -> String {
        "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).dropLast(3).joined(separator: "/")
            + "/man/" + page
    }

    /// The page as plain text, one output line per paragraph line (no wrapping), or nil without mandoc.
    static func rendered(_ page: String) throws -> String? {
        guard access("/usr/bin/mandoc", X_OK) == 0 else { return nil }
        let outcome = try ToolProcess.run(
            "/usr/bin/mandoc", arguments: ["-T", "utf8", "-O", "width=1000", path(page)],
            environment: ToolProcess.environment(home: "/nonexistent"), timeout: 10)
        // Bold and underline are overstrikes, a character then backspace then the character shown.
        var text: [Character] = []
        for character in outcome.stdoutText {
            if character == "\u{8}" { _ = text.popLast() } else { text.append(character) }
        }
        return String(text)
    }
}
