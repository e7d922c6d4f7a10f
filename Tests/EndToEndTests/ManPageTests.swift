#if canImport(Glibc)
import Glibc
#endif
import Testing

/// Every command in the EXAMPLES section of every man page runs, literally, in order, in a sandbox home (see
/// `ManPageExamples` for what is rewritten and how servers are stopped). A tool that has not been built yet is a
/// stub that checks what the example hands it.
@Suite struct ManPageTests {
    /// The pages whose examples are run below (conclave-connect's two in `ConnectManPageExampleTests`); a new
    /// page must be added here.
    static let pages = [
        "conclave.7", "conclave-keygen.1", "conclave-serve.1", "conclave-connect.1", "conclave-ndjson.5",
    ]

    /// `conclave-send` (not built yet): the enrolment pipeline's line goes through unchanged.
    private static let sendStub = "#!/bin/sh\n[ \"$1\" = --json ] || exit 64\nexec cat\n"
    /// `conclave-connect` (not built yet): the server named by `-u ws://HOST:PORT` answers its health check.
    private static let connectStub = "#!/bin/sh\n[ \"$1\" = -u ] || exit 64\nexec curl -fsS \"http${2#ws}/health\"\n"

    private static func stubs() -> [String: String] {
        var stubs = ["ssh": "#!/bin/sh\nshift\nexec \"$@\"\n"]
        if access(ToolProcess.binary("conclave-send"), X_OK) != 0 { stubs["conclave-send"] = sendStub }
        if access(ToolProcess.binary("conclave-connect"), X_OK) != 0 { stubs["conclave-connect"] = connectStub }
        return stubs
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
        #expect(outcomes.count == 2)
        #expect(outcomes.last?.stdoutText == "ok")
        #expect(try sandbox.mode(sandbox.home + "/.config/conclave/key") == 0o600)
    }

    @Test func conclaveKeygen1() throws {
        let sandbox = try Sandbox()
        let examples = try ManPageExamples("conclave-keygen.1")
        #expect(examples.examples.count >= 6)
        let outcomes = try examples.runAll(in: sandbox, stubs: Self.stubs())
        for (example, outcome) in zip(examples.examples, outcomes) where example.contains("--enroll") {
            #expect(outcome.stdoutText.hasPrefix(#"{"type":"admin","op":"machine_add","name":"laptop","pubkey":""#))
        }
        #expect(try sandbox.mode(sandbox.home + "/.config/conclave/key") == 0o600)
        #expect(try sandbox.entries(sandbox.home + "/.config/conclave-agent") == ["key"])
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
