#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveWire

/// `conclave-recv` as a process against a real `conclave-serve` (TOOLS.md "conclave-recv").
@Suite struct RecvTests {
    @Test func aMessageIsOnThePipeWithinASecondOfBeingPosted() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        // --since 0s: history_end says the channel is joined and read.
        let follower = try world.startRecv("alice", ["--since", "0s", "ops"])
        let end = follower.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "history_end" }
        try #require(end?["channel"] == "ops")
        try world.post("alice", "ops", ["quick"])
        // Generous: the post's link has exited, so the message was stored and fanned out already.
        let message = follower.readRecord(deadline: .after(seconds: 1)) { $0["type"] == "channel_msg" }
        #expect(message?["payload"] == ["plain": "quick"])
        #expect(message?["from"] == "alice/laptop/poster")
        #expect(message?["_permission"] == "notify")
        #expect(message?["_rx_ms"]?.integerValue != nil && message?["_ts_ms"] == nil)
        #expect(message?["_server"] == .string(world.url))
    }

    @Test func twelveHundredHistoryRowsArePrintedOnceEachThenHistoryEndThenLive() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let sent = (0..<1200).map { "h\($0)" }
        try world.post("alice", "ops", sent)
        let follower = try world.startRecv("alice", ["--since", "1h", "ops"])
        var lines: [JSONObject] = []
        let deadline = Deadline.after(seconds: 30)
        while let record = follower.readRecord(deadline: deadline, where: { _ in true }) {
            lines.append(record)
            if record["type"] == "history_end" { break }
        }
        #expect(bodies(lines) == sent)
        #expect(lines.dropLast().allSatisfy { $0["_ts_ms"]?.integerValue != nil })
        // Rows shared timestamps, so pages overlapped; each row is still printed once.
        let stamps = lines.compactMap { $0["_ts_ms"]?.integerValue }
        #expect(Set(stamps).count < stamps.count)
        #expect(lines.last?["type"] == "history_end")
        #expect(lines.last?["ts_ms"]?.integerValue == stamps.last)
        try world.post("alice", "ops", ["live"])
        let live = follower.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "channel_msg" }
        #expect(live?["payload"] == ["plain": "live"] && live?["_ts_ms"] == nil)

        let replay = try world.recv("alice", ["--since", "1h", "--history-only", "ops"])
        #expect(replay.status == 0, "\(replay.stderrText)")
        #expect(bodies(records(replay.stdoutLines)) == sent + ["live"])
    }

    @Test func aReceiverStartedMidStreamSeesEveryMessageExactlyOnce() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let sender = try world.start("alice", ["-q", "-j", "ops", "--as", "sender"])
        let total = 400
        var follower: ToolProcess?
        for index in 0..<total {
            try sender.write(#"{"channel":"ops","body":"s\#(index)"}"# + "\n")
            if index == 100 { follower = try world.startRecv("alice", ["--since", "1h", "ops"]) }
            usleep(3_000)
        }
        let receiver = try #require(follower)
        var seen: [String] = []
        let deadline = Deadline.after(seconds: 30)
        while seen.count < total,
              let record = receiver.readRecord(deadline: deadline, where: { $0["type"] == "channel_msg" }) {
            seen += bodies([record])
        }
        #expect(seen == (0..<total).map { "s\($0)" })
        #expect(receiver.readRecord(deadline: .after(seconds: 0.5)) { $0["type"] == "channel_msg" } == nil)
    }

    @Test(.singleServer("restarts on its data directory"))
    func aServerKilledAndRestartedMidStreamLosesAndRepeatsNothingThatReachedHistory() throws {
        let world = try ConnectWorld(storage: .dataDirectory)
        try world.register("alice")
        try world.createChannel("ops")
        let follower = try world.startRecv("alice", ["--events", "ops"])
        try #require(try world.waitUntilFollowing(follower, "ops"))
        let sender = try world.start("alice", ["-q", "-j", "ops", "--as", "sender"])
        for index in 0..<300 {
            try sender.write(#"{"channel":"ops","body":"k\#(index)"}"# + "\n")
            if index == 150 { try world.killAndRestartServer() }
            usleep(5_000)
        }
        // Everything that reached history, read after the stream: the follower printed each exactly once.
        var stored: [String] = []
        let settled = Deadline.after(seconds: 30)
        while !settled.hasPassed {
            let replay = try world.recv("alice", ["--history-only", "ops"])
            stored = bodies(records(replay.stdoutLines)).filter { $0.hasPrefix("k") }
            if stored.last == "k299" { break }
            usleep(200_000)
        }
        try #require(stored.last == "k299", "\(stored.suffix(3))")
        var seen: [String] = []
        var events: [String] = []
        let deadline = Deadline.after(seconds: 30)
        while seen.count < stored.count, let record = follower.readRecord(deadline: deadline, where: { _ in true }) {
            seen += bodies([record]).filter { $0.hasPrefix("k") }
            if let type = record["type"]?.stringValue, type.hasPrefix("link_") { events.append(type) }
        }
        #expect(events.contains("link_down") && events.last == "link_up", "\(events)")
        #expect(seen.sorted() == stored.sorted())
        #expect(Set(seen).count == seen.count)
        #expect(follower.readRecord(deadline: .after(seconds: 0.5)) { $0["type"] == "channel_msg" } == nil)
    }

    @Test func countWaitIdleAndAClosedStdoutEndAsDocumented() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        try world.post("alice", "ops", ["a", "b", "c"])
        let counted = try world.recv("alice", ["--since", "1h", "-C", "2", "ops"])
        #expect(counted.status == 0)
        #expect(bodies(records(counted.stdoutLines)) == ["a", "b"])
        let waited = try world.recv("alice", ["-W", "1", "ops"])
        #expect(waited.status == 124 && waited.stdout.isEmpty)
        let idle = try world.recv("alice", ["--idle", "1", "ops"])
        #expect(idle.status == 124)
        let nowhere = try world.recv("alice", ["-W", "1", "-u", "ws://127.0.0.1:9/", "ops"])
        #expect(nowhere.status == 69)
        let environment = world.environment(["PATH": "\(ToolProcess.binaryDirectory):/usr/bin:/bin"])
        // `| head -1`: recv waits with head until a message comes, then ends quietly with status 0.
        let pipeline = try ToolProcess(
            "/bin/bash",
            arguments: ["-c", "set -o pipefail; conclave-recv --config-dir alice -u \(world.url) ops | head -1"],
            environment: environment, workingDirectory: world.sandbox.home)
        let deadline = Deadline.after(seconds: 15)
        var outcome: ToolOutcome?
        var attempt = 0
        while outcome == nil && !deadline.hasPassed {
            attempt += 1
            try world.post("alice", "ops", ["head \(attempt)"])
            usleep(300_000)
            if pipeline.hasExited { outcome = pipeline.finish(deadline: .after(seconds: 1)) }
        }
        #expect(outcome?.status == 0)
        #expect(outcome?.stdoutLines.count == 1)
        #expect(outcome?.stderr.isEmpty == true, "\(outcome?.stderrText ?? "")")
    }
}

/// TOOLS.md "Everyday use" lines of conclave-recv, as written, and its other two sources.
@Suite struct RecvEverydayTests {
    @Test func theEverydayLinesRunAsWritten() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        // The config directory and server come from the environment, as the test's home is not alice's.
        let environment = world.environment([
            "PATH": "\(ToolProcess.binaryDirectory):/usr/bin:/bin", "CONCLAVE_CONFIG_DIR": world.directory("alice"),
        ])
        // jq buffers its output on a pipe until it ends: the bound -C 1 ends the pipeline after one message.
        let follower = try ToolProcess(
            "/bin/sh", arguments: ["-c", "conclave-recv -C 1 ops | jq -r '.payload.plain'"],
            environment: environment, workingDirectory: world.sandbox.home)
        var outcome: ToolOutcome?
        let deadline = Deadline.after(seconds: 15)
        var attempt = 0
        while outcome == nil && !deadline.hasPassed {
            attempt += 1
            try world.post("alice", "ops", ["everyday \(attempt)"])
            usleep(300_000)
            if follower.hasExited { outcome = follower.finish(deadline: .after(seconds: 1)) }
        }
        #expect(outcome?.status == 0)
        #expect(outcome?.stdoutLines.count == 1 && outcome?.stdoutLines.first?.hasPrefix("everyday ") == true)
        let replay = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", "conclave-recv --since 1h --history-only ops"], environment: environment,
            workingDirectory: world.sandbox.home, timeout: 20)
        #expect(replay.status == 0, "\(replay.stderrText)")
        #expect(bodies(records(replay.stdoutLines)) == (1...attempt).map { "everyday \($0)" })
    }

    @Test func aSharedSocketAndConnectsOutputAreSourcesToo() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        try world.post("alice", "ops", ["before"])
        let socketPath = world.sandbox.path("link.sock")
        let link = try world.start("alice", ["--socket", socketPath, "--as", "shared"])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        let viaSocket = try ToolProcess.run(
            ToolProcess.binary("conclave-recv"), arguments: ["--since", "1h", "--history-only", "ops"],
            environment: world.environment(["CONCLAVE_SOCKET": socketPath]), timeout: 20)
        #expect(viaSocket.status == 0, "\(viaSocket.stderrText)")
        #expect(bodies(records(viaSocket.stdoutLines)) == ["before"])

        let output = [
            #"{"type":"link_up","path":"alice/laptop/x","server_id":null,"admin":false}"#,
            #"{"type":"channel_msg","channel":"ops","from":"bob/desk/y","payload":{"plain":"kept"},"_rx_ms":5}"#,
            #"{"type":"channel_msg","channel":"dev","from":"bob/desk/y","payload":{"plain":"other"},"_rx_ms":6}"#,
            #"{"type":"whisper","from":"bob/desk/y","target":"alice/laptop/x","payload":{"plain":"psst"}}"#,
            #"{"type":"ack","detail":null,"_id":1}"#,
            #"{"type":"history","channel":"ops","messages":"#
                + #"[{"from":"bob/desk/y","ts_ms":3,"payload":{"plain":"old"}}]}"#,
            "not json",
        ].joined(separator: "\n") + "\n"
        let filtered = try ToolProcess.run(
            ToolProcess.binary("conclave-recv"), arguments: ["-i", "-", "-F", "%c:%b:%t", "--no-whispers", "ops"],
            environment: world.environment(), stdin: output, timeout: 10)
        #expect(filtered.status == 65)
        #expect(filtered.stdoutLines == ["ops:kept:5", "ops:old:3"])
        let events = try ToolProcess.run(
            ToolProcess.binary("conclave-recv"), arguments: ["-i", "-", "--events", "-r"],
            environment: world.environment(), stdin: output, timeout: 10)
        #expect(events.stdoutLines.first?.hasPrefix(#"{"type":"link_up""#) == true)
        #expect(Array(events.stdoutLines.dropFirst()) == ["kept", "other", "psst", "old"])
    }
}
