#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The EXAMPLES section of a man page in `man/`, as shell text to run: each `.Dl $ command` line and each
/// `.Bd -literal` block is one example, with the roff escapes `\e`, `\-` and `\(dq` turned back into `\`, `-`
/// and `"`.
struct ManPageExamples {
    let page: String
    let examples: [String]

    /// The examples of `man/<page>` (for instance `conclave-serve.1`).
    init(_ page: String) throws {
        self.page = page
        let components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
        let path = components.dropLast(3).joined(separator: "/") + "/man/" + page
        let text = String(decoding: try readWholeFile(path), as: UTF8.self)
        var inExamples = false
        var block: [String]?
        var examples: [String] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix(".Sh ") { inExamples = line == ".Sh EXAMPLES" }
            guard inExamples else { continue }
            if line.hasPrefix(".Dl $ ") {
                examples.append(Self.unescape(String(line.dropFirst(6))))
            } else if line.hasPrefix(".Bd -literal") {
                block = []
            } else if line == ".Ed", let lines = block {
                examples.append(lines.map(Self.unescape).joined(separator: "\n"))
                block = nil
            } else if block != nil {
                block?.append(line)
            }
        }
        self.examples = examples
    }

    private static func unescape(_ line: String) -> String {
        line.replacing("\\e", with: "\\").replacing("\\-", with: "-").replacing("\\(dq", with: "\"")
    }

    /// Runs every example in order with bash (`set -e`), in `sandbox` as the home and working directory, with
    /// `stubs` (name → script) and then the built tools first on PATH, and `variables` set (say, `CONCLAVE_BIND`
    /// moving the default address to a port chosen now). `rewrites` are applied to the text first
    /// (a fixed port becomes one chosen now; a system path becomes one in the sandbox); `preludes[i]` runs before
    /// example `i` (say, the server an example assumes is running). Background jobs are stopped with SIGTERM
    /// when their example ends. An example that ends in `conclave-serve` in the foreground runs until the server
    /// says it is listening and is then stopped with SIGTERM, and must log "stopped"; every other example must
    /// exit 0. Returns each example's outcome, in order.
    @discardableResult
    func runAll(
        in sandbox: Sandbox, stubs: [String: String] = [:], rewrites: [(String, String)] = [],
        preludes: [Int: String] = [:], variables: [String: String] = [:]
    ) throws -> [ToolOutcome] {
        let stubDirectory = sandbox.path("stubs")
        mkdir(stubDirectory, 0o700)
        for (name, script) in stubs { try sandbox.writeFile(stubDirectory + "/" + name, script, mode: 0o700) }
        let path = "\(stubDirectory):\(ToolProcess.binaryDirectory):/usr/bin:/bin"
        let environment = ToolProcess.environment(
            home: sandbox.home, variables.merging(["PATH": path]) { _, new in new })
        return try examples.enumerated().map { index, original in
            let example = rewrites.reduce(original) { $0.replacing($1.0, with: $1.1) }
            // A background job may end on its own between `jobs -p` and `kill`; under `set -e` that is no failure.
            let script = "set -e\n" + (preludes[index].map { $0 + "\n" } ?? "") + example
                + "\nfor job in $(jobs -p); do kill $job 2>/dev/null || true; done; wait\n"
            let process = try ToolProcess(
                "/bin/bash", arguments: ["-c", script], environment: environment, workingDirectory: sandbox.home)
            let lastLine = example.split(separator: "\n").last.map(String.init) ?? ""
            guard lastLine.contains("conclave-serve ") && !lastLine.hasSuffix("&") else {
                let outcome = process.finish(deadline: .after(seconds: 20))
                #expect(
                    outcome.status == 0, "\(page): `\(example)`: \(outcome.termination), stderr: \(outcome.stderrText)")
                return outcome
            }
            var log: [String] = []
            let deadline = Deadline.after(seconds: 10)
            while let line = process.readLine(from: .stderr, deadline: deadline) {
                log.append(line)
                if line.contains("listening on ") { break }
            }
            #expect(log.last?.contains("listening on ") == true, "\(page): `\(example)`: \(log)")
            process.send(SIGTERM)
            let outcome = process.finish(deadline: .after(seconds: 10))
            #expect(outcome.stderrText.contains("stopped"), "\(page): `\(example)`: \(outcome.stderrText)")
            return outcome
        }
    }

    /// A loopback TCP port free at the moment of asking, for an example that names a fixed port.
    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ToolProcessError(description: "socket: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw ToolProcessError(description: "bind 127.0.0.1:0: errno \(errno)") }
        return UInt16(bigEndian: address.sin_port)
    }
}
