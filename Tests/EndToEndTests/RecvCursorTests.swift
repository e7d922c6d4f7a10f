#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveWire

/// `conclave-recv --cursor FILE` (TOOLS.md "conclave-recv"): each run prints what came since the last run with
/// FILE, on a conclave-connect spool (`-i`) and on channels of a link, and two runs at once never share FILE.
@Suite(.serialized) struct RecvCursorTests {
    private static func spoolLine(_ body: String, channel: String = "ops") -> String {
        JSONValue.object([
            "type": "channel_msg", "channel": .string(channel), "from": "bob/desk/y",
            "payload": ["plain": .string(body)], "_rx_ms": 5,
        ]).serialized() + "\n"
    }

    private static func append(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        try #require(fd >= 0)
        defer { close(fd) }
        let bytes = Array(text.utf8)
        #expect(write(fd, bytes, bytes.count) == bytes.count)
    }

    private static func recv(_ sandbox: Sandbox, _ arguments: [String], timeout: Double = 10) throws -> ToolOutcome {
        try ToolProcess.run(
            ToolProcess.binary("conclave-recv"), arguments: arguments,
            environment: ToolProcess.environment(home: sandbox.home), workingDirectory: sandbox.home,
            timeout: timeout)
    }

    @Test func aSpoolIsReadOnceAcrossRunsAndAReplacedOrTruncatedOneFromItsBeginning() throws {
        let sandbox = try Sandbox()
        let spool = sandbox.path("out"), cursor = sandbox.path("cursor")
        let whisper = #"{"type":"whisper","from":"bob/desk/y","target":"a/b/c","payload":{"plain":"psst"}}"#
        try Self.append(Self.spoolLine("one") + whisper + "\n" + Self.spoolLine("muted", channel: "dev"), to: spool)
        let first = try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r", "ops"])
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(first.stdoutLines == ["one", "psst"])
        let again = try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r", "ops"])
        #expect(again.status == 0 && again.stdout.isEmpty && again.stderr.isEmpty)

        // -C 1: the position is saved right after the first record; an unfinished line waits for its end.
        try Self.append(Self.spoolLine("two") + Self.spoolLine("three") + #"{"type":"channel_msg""#, to: spool)
        #expect(try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r", "-C", "1"]).stdoutLines == ["two"])
        #expect(try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r"]).stdoutLines == ["three"])

        // Truncated below the position: from the beginning, with a warning, never skipping into the new text.
        try sandbox.writeFile(sandbox.path("new"), Self.spoolLine("fresh"), mode: 0o600)
        #expect(rename(sandbox.path("new"), spool) == 0)
        let replaced = try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r"])
        #expect(replaced.stdoutLines == ["fresh"])
        #expect(replaced.stderrText.contains("replaced"))
        #expect(truncate(spool, 0) == 0)
        try Self.append(Self.spoolLine("after truncation"), to: spool)
        let truncated = try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r"])
        #expect(truncated.stdoutLines == ["after truncation"])
        #expect(!truncated.stderr.isEmpty)
    }

    @Test func followSavesAsItPrintsAndASecondRunWaitsForTheLock() throws {
        let sandbox = try Sandbox()
        let spool = sandbox.path("out"), cursor = sandbox.path("cursor")
        try Self.append(Self.spoolLine("one"), to: spool)
        let follower = try ToolProcess(
            ToolProcess.binary("conclave-recv"), arguments: ["-i", spool, "--cursor", cursor, "--follow", "-r"],
            environment: ToolProcess.environment(home: sandbox.home), workingDirectory: sandbox.home)
        #expect(follower.readLine(deadline: .after(seconds: 10)) == "one")
        try Self.append(Self.spoolLine("two"), to: spool)
        #expect(follower.readLine(deadline: .after(seconds: 10)) == "two")
        // The follower holds FILE: a second run waits, here at most -W 1, and prints nothing.
        let blocked = try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r", "-W", "1"])
        #expect(blocked.status == 124 && blocked.stdout.isEmpty)
        follower.send(SIGKILL)
        _ = follower.finish(deadline: .after(seconds: 5))
        // Killed: what it printed was saved, so the next run starts after "two".
        try Self.append(Self.spoolLine("three"), to: spool)
        #expect(try Self.recv(sandbox, ["-i", spool, "--cursor", cursor, "-r"]).stdoutLines == ["three"])
    }

    @Test func channelsResumeFromTheirWatermarkAcrossRunsEvenWithRepeatedBodies() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        try world.post("alice", "ops", ["before"])
        let cursor = world.sandbox.path("ops.cursor")
        let arguments = ["--cursor", cursor, "-r", "-W", "20", "ops"]
        // The first run starts now: "before" is not printed.
        let first = try world.recv("alice", arguments)
        #expect(first.status == 0 && first.stdout.isEmpty, "\(first.stderrText)")
        // Posted on one link, pipelined: several share a ts_ms, and bodies repeat.
        try world.post("alice", "ops", ["a", "x", "x", "b", "x"])
        let partial = try world.recv("alice", ["-C", "2"] + arguments)
        #expect(partial.stdoutLines == ["a", "x"], "\(partial.stderrText)")
        #expect(try world.recv("alice", arguments).stdoutLines == ["x", "b", "x"])
        #expect(try world.recv("alice", arguments).stdoutLines == [])
        try world.post("alice", "ops", ["x", "c"])
        #expect(try world.recv("alice", arguments).stdoutLines == ["x", "c"])

        // --follow prints what comes live and saves it: a later run repeats none of it.
        let follower = try world.startRecv("alice", ["--cursor", cursor, "--follow", "-r", "ops"])
        try world.post("alice", "ops", ["live"])
        #expect(follower.readLine(deadline: .after(seconds: 15)) == "live")
        follower.send(SIGTERM)
        #expect(follower.finish(deadline: .after(seconds: 10)).status == 0)
        try world.post("alice", "ops", ["last"])
        #expect(try world.recv("alice", arguments).stdoutLines == ["last"])
    }

    @Test func cursorMisuseIsAUsageError() throws {
        let sandbox = try Sandbox()
        for arguments in [["--follow", "-i", "-"], ["--cursor", "c", "-i", "-"], ["--cursor", "c", "-u", "ws://h"],
                          ["--cursor", "c", "--history-only", "-u", "ws://h", "ops"],
                          // No server is configured here: the command line's mistake is still what is reported.
                          ["--follow", "ops"]] {
            #expect(try Self.recv(sandbox, arguments).status == 64, "\(arguments)")
        }
    }
}
