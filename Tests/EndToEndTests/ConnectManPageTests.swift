#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The manual pages of conclave-connect agree with the tool: every flag of `--help` is documented, and both pages
/// pass `mandoc -T lint -W warning` when mandoc is installed.
@Suite struct ConnectManPageTests {
    /// The path of the manual page `name` (`conclave-connect.1`) in this checkout.
    static func manPage(_ name: String) -> String {
        let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        return components.dropLast(3).joined(separator: "/") + "/man/" + name
    }

    @Test func everyFlagOfHelpIsInTheManualPage() throws {
        let help = try ToolProcess.run(
            ToolProcess.binary("conclave-connect"), arguments: ["--help"],
            environment: ToolProcess.environment(home: "/nonexistent"), timeout: 10)
        #expect(help.status == 0)
        let page = String(decoding: try readWholeFile(Self.manPage("conclave-connect.1")), as: UTF8.self)
        var flags: Set<String> = []
        // The first column of each option line: `-q, --quiet`, `--socket <path>`.
        for line in help.stdoutLines where line.hasPrefix("  -") {
            let column = line.dropFirst(2).split(separator: "  ").first ?? ""
            for word in column.split(separator: " ") where word.hasPrefix("-") {
                flags.insert(String(word.split(separator: ",").first ?? word))
            }
        }
        #expect(flags.count >= 20, "\(flags.sorted())")
        for flag in flags {
            // mdoc writes `--socket` as `Fl -socket` and `-j` as `Fl j`.
            #expect(page.contains("Fl \(flag.dropFirst())"), "\(flag) is not in conclave-connect.1")
        }
    }

    /// `.Pq Ql session No …` quoted the whole rest of the line; only the handle is quoted.
    @Test func theDefaultHandleAloneIsQuoted() throws {
        guard let page = try ManPage.rendered("conclave-connect.1") else { return }
        #expect(page.contains("(‘session’ if there is none)"))
        #expect(!page.contains("‘session if there is none’"))
    }

    @Test(arguments: ["conclave-connect.1", "conclave-ndjson.5"])
    func lintsClean(_ name: String) throws {
        guard access("/usr/bin/mandoc", X_OK) == 0 else { return }
        let outcome = try ToolProcess.run(
            "/usr/bin/mandoc", arguments: ["-T", "lint", "-W", "warning", Self.manPage(name)],
            environment: ToolProcess.environment(home: "/nonexistent"), timeout: 10)
        #expect(outcome.status == 0, "\(outcome.stdoutText)\(outcome.stderrText)")
    }
}
