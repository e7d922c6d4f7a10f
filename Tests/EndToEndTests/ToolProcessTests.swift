#if canImport(Glibc)
import Glibc
#endif
import Testing

/// The harness every end-to-end test relies on: deadlines hold, pipes do not deadlock, statuses are exact.
@Suite struct ToolProcessTests {
    private let environment = ToolProcess.environment(home: "/nonexistent")

    @Test func reportsExitStatusAndBothStreams() throws {
        let outcome = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "echo out; echo err >&2; exit 3"], environment: environment, timeout: 5)
        #expect(outcome.termination == .exited(3))
        #expect(outcome.stdoutText == "out\n")
        #expect(outcome.stderrText == "err\n")
        #expect(!outcome.timedOut)
    }

    @Test func killsTheWholeGroupAtTheDeadline() throws {
        let outcome = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "sleep 30 | sleep 30"], environment: environment, timeout: 0.3)
        #expect(outcome.timedOut)
        #expect(outcome.termination == .signaled(SIGKILL))
    }

    @Test func streamsLargeInputAndOutputWithoutDeadlock() throws {
        let input = String(repeating: "0123456789abcdef\n", count: 65536)
        let outcome = try ToolProcess.run("/bin/cat", environment: environment, stdin: input, timeout: 10)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.count == input.utf8.count)
    }

    @Test func readsLinesAsTheyArriveAndDeliversSignals() throws {
        let process = try ToolProcess(
            "/bin/sh", arguments: ["-c", "echo ready; while read line; do echo \"got $line\"; done"],
            environment: environment)
        #expect(process.readLine(deadline: .after(seconds: 5)) == "ready")
        try process.write("one\n")
        #expect(process.readLine(deadline: .after(seconds: 5)) == "got one")
        #expect(process.readLine(deadline: .after(seconds: 0.1)) == nil, "nothing more yet")
        process.send(SIGTERM)
        let outcome = process.finish(deadline: .after(seconds: 5))
        #expect(outcome.termination == .signaled(SIGTERM))
    }

    @Test func runsInTheGivenDirectoryWithExactlyTheGivenEnvironment() throws {
        let outcome = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "pwd; echo \"$ONLY\"; echo \"${CONCLAVE_URL-unset}\""],
            environment: ["ONLY": "this", "PATH": "/usr/bin:/bin"], workingDirectory: "/", timeout: 5)
        #expect(outcome.stdoutLines == ["/", "this", "unset"])
    }

    @Test func sendsStderrToAFileWhenAskedAndReportsExit() throws {
        let sandbox = try Sandbox()
        let process = try ToolProcess(
            "/bin/sh", arguments: ["-c", "echo out; echo err >&2; read line; exit 4"], environment: environment,
            stderrFile: sandbox.path("stderr.log"))
        #expect(process.readLine(deadline: .after(seconds: 5)) == "out")
        #expect(!process.hasExited)
        try process.write("\n")
        let outcome = process.finish(deadline: .after(seconds: 5))
        #expect(outcome.termination == .exited(4))
        #expect(outcome.stderr.isEmpty)
        #expect(process.hasExited)
        #expect(try sandbox.read(sandbox.path("stderr.log")) == Array("err\n".utf8))
    }

    @Test func aMissingExecutableIsAnError() {
        #expect(throws: ToolProcessError.self) {
            try ToolProcess.run("/nonexistent/tool", environment: environment, timeout: 5)
        }
    }
}
