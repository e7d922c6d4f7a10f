#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveWire

/// `conclave-send` as a process against a real `conclave-serve` (TOOLS.md "conclave-send").
@Suite struct SendTests {
    /// The `conclave-send` lines of TOOLS.md "Everyday use", as written (`./build.sh` is a printf here).
    @Test func everydayUseLinesRunAsWritten() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let line = #"{"type":"admin","op":"create_channel","name":"ops","visibility":"public"}"#
        let create = try world.send("alice", ["--json"], stdin: line + "\n")
        #expect(create.status == 0, "\(create.stderrText)")
        #expect(create.stdoutLines.first?.hasPrefix(#"{"type":"ack","detail":"ops""#) == true, "\(create.stdoutText)")
        let listener = try world.listener("alice", channel: "ops")
        let build = try world.send("alice", ["ops"], stdin: "compiling\nlinking\ndone\n")
        #expect(build.status == 0, "\(build.stderrText)")
        #expect(build.stdoutText.isEmpty && build.stderrText.isEmpty)
        #expect(postBodies(listener, count: 3, within: 10) == ["compiling", "linking", "done"])
    }

    @Test func wordsArePostedAsOneMessageAndToWhispers() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.register("bob")
        try world.createChannel("ops")
        let bob = try world.listener("bob", channel: "ops", handle: "main")
        let post = try world.send("alice", ["ops", "deploy", "finished"])
        #expect(post.status == 0, "\(post.stderrText)")
        #expect(postBodies(bob, count: 1, within: 10) == ["deploy finished"])
        let whisper = try world.send("alice", ["--to", "bob/laptop/main", "are", "you", "there"])
        #expect(whisper.status == 0, "\(whisper.stderrText)")
        #expect(postBodies(bob, count: 1, within: 10) == ["are you there"])
        // Its own link is cli-<pid>: it never takes over the directory's default handle.
        let absent = try world.send("alice", ["--to", "bob/laptop/nobody", "hello"])
        #expect(absent.status == 1, "\(absent.stderrText)")
    }

    /// A line written to stdin reaches subscribers before stdin is closed.
    @Test func eachLineIsPostedAsItArrives() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let listener = try world.listener("alice", channel: "ops")
        let send = try world.startSend("alice", ["ops"])
        try send.write("first\n")
        #expect(postBodies(listener, count: 1, within: 10) == ["first"])
        try send.write("second\n")
        #expect(postBodies(listener, count: 1, within: 10) == ["second"])
        send.closeStdin()
        #expect(send.finish(deadline: .after(seconds: 10)).status == 0)
    }

    @Test func tenThousandLinesArriveInOrderWithStatus0() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let listener = try world.listener("alice", channel: "ops")
        let lines = (1...10_000).map(String.init)
        let send = try world.send("alice", ["ops"], stdin: lines.joined(separator: "\n") + "\n", timeout: 60)
        #expect(send.status == 0, "\(send.stderrText)")
        #expect(postBodies(listener, count: 10_000, within: 60) == lines)
    }

    /// Empty lines skipped unless `--empty`; the last line without `\n` sent; `-s` one message.
    @Test func theLineRules() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let listener = try world.listener("alice", channel: "ops")
        let input = "a\n\n  b \n\nlast"
        #expect(try world.send("alice", ["ops"], stdin: input).status == 0)
        #expect(postBodies(listener, count: 3, within: 10) == ["a", "  b ", "last"])
        #expect(try world.send("alice", ["ops", "--empty"], stdin: input).status == 0)
        #expect(postBodies(listener, count: 5, within: 10) == ["a", "", "  b ", "", "last"])
        #expect(try world.send("alice", ["ops", "-s"], stdin: "one\n\ntwo\n\n").status == 0)
        #expect(postBodies(listener, count: 1, within: 10) == ["one\n\ntwo\n"])
        let long = String(repeating: "x", count: 200_000)
        #expect(try world.send("alice", ["ops"], stdin: long + "\n").status == 0)
        #expect(postBodies(listener, count: 1, within: 10) == [long])
    }

    /// `--json`: replies printed with their `_id`, a string or a number kept as given; the joins of auto-join
    /// are not printed.
    @Test func jsonRepliesCarryTheirIds() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let input = [
            #"{"type":"list_channels","_id":"s"}"#,
            #"{"channel":"ops","body":"hi","_id":7}"#,
            #"{"type":"who","channel":"ops","_id":2.5}"#,
        ].joined(separator: "\n") + "\n"
        let outcome = try world.send("alice", ["--json"], stdin: input)
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        #expect(outcome.stdoutLines.count == 3, "\(outcome.stdoutText)")
        #expect(outcome.stdoutLines.map { $0.contains(#""_id":"s""#) } == [true, false, false])
        #expect(outcome.stdoutLines[1].hasPrefix(#"{"type":"ack""#) && outcome.stdoutLines[1].contains(#""_id":7,"#))
        #expect(outcome.stdoutLines[2].contains(#""_id":2.5,"#), "\(outcome.stdoutText)")
    }

    /// Bad input: not sent, reported, neighbours delivered, status 65 at the end.
    @Test func badInputIs65AndNeighboursAreDelivered() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let listener = try world.listener("alice", channel: "ops")
        let json = #"{"channel":"ops","body":"j1","_id":1}"# + "\nnot json\n"
            + #"{"channel":"ops","body":"j3","_id":3}"# + "\n"
        let outcome = try world.send("alice", ["--json"], stdin: json)
        #expect(outcome.status == 65, "\(outcome.stderrText)")
        // The input_error is printed as the line is read, the acks as they come back.
        let printed = records(outcome.stdoutLines)
        #expect(printed.filter { $0["type"] == "ack" }.map { $0["_id"] } == [1, 3], "\(outcome.stdoutText)")
        #expect(printed.filter { $0["type"] == "input_error" }.map { $0["line"] } == [2], "\(outcome.stdoutText)")
        #expect(outcome.stderrText.hasPrefix("conclave-send: stdin line 2: "), "\(outcome.stderrText)")
        #expect(postBodies(listener, count: 2, within: 10) == ["j1", "j3"])
        let process = try ToolProcess(
            ToolProcess.binary("conclave-send"), arguments: ["--config-dir", world.directory("alice"), "ops"],
            environment: world.environment(["CONCLAVE_URL": world.url]), workingDirectory: world.sandbox.home)
        let invalid = process.finish(
            input: Array("t1\n".utf8) + [0xFF, 0x0A] + Array("t3\n".utf8), deadline: .after(seconds: 20))
        #expect(invalid.status == 65, "\(invalid.stderrText)")
        #expect(invalid.stderrText.hasPrefix("conclave-send: stdin line 2: not UTF-8"), "\(invalid.stderrText)")
        #expect(postBodies(listener, count: 2, within: 10) == ["t1", "t3"])
    }

    /// The server killed with SIGKILL and restarted mid-stream: every line delivered exactly once, status 0.
    @Test(.singleServer("restarts on its data directory"))
    func aServerKilledMidStreamLosesAndDoublesNothing() throws {
        let world = try ConnectWorld(storage: .dataDirectory)
        try world.register("alice")
        try world.createChannel("ops")
        let send = try world.startSend("alice", ["ops"])
        for number in 1...100 { try send.write("m\(number)\n") }
        usleep(200_000)
        try world.killAndRestartServer()
        for number in 101...200 { try send.write("m\(number)\n") }
        send.closeStdin()
        let outcome = send.finish(deadline: .after(seconds: 40))
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        let bodies = try world.history("alice", "ops")
        #expect(bodies.sorted() == (1...200).map { "m\($0)" }.sorted(), "\(bodies.count) rows")
    }

    @Test func statuses69And75And77And64() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let dead = try world.send("alice", ["-W", "1", "-u", "ws://127.0.0.1:1", "ops", "x"])
        #expect(dead.status == 69, "\(dead.stderrText)")

        let send = try world.startSend("alice", ["-W", "2", "ops"])
        try send.write("before\n")
        usleep(500_000)
        world.server.signal(SIGSTOP)
        defer { world.server.signal(SIGCONT) }
        try send.write("unanswered\n")
        send.closeStdin()
        let lost = send.finish(deadline: .after(seconds: 20))
        #expect(lost.status == 75, "\(lost.stderrText)")
        world.server.signal(SIGCONT)

        chmod(world.directory("alice") + "/key", 0o644)
        let exposed = try world.send("alice", ["ops", "x"])
        #expect(exposed.status == 77, "\(exposed.stderrText)")
        chmod(world.directory("alice") + "/key", 0o600)

        for usage in [[], ["--socket", "/tmp/s", "-u", world.url, "ops"], ["--json", "ops"], ["-W", "0", "ops", "x"]] {
            let outcome = try world.send("alice", usage)
            #expect(outcome.status == 64, "\(usage): \(outcome.stderrText)")
        }
    }

    /// `--socket`: attaches to a running conclave-connect and shares its link.
    @Test func socketAttachesToARunningConnect() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let socketPath = world.sandbox.path("link.sock")
        let link = try world.start("alice", ["--socket", socketPath])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        let listener = try world.listener("alice", channel: "ops")
        let outcome = try world.send("alice", ["--socket", socketPath, "ops"], stdin: "via the socket\n")
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        #expect(postBodies(listener, count: 1, within: 10) == ["via the socket"])
        let echoed = link.readRecord(deadline: .after(seconds: 10)) { $0["_echo"] == true }
        #expect(echoed?["payload"]?.objectValue?["plain"] == "via the socket")
        link.send(SIGTERM)
        #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
    }
}
