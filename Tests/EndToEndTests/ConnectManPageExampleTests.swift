#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveIdentity
@testable import ConclaveWire

/// The EXAMPLES of `man/conclave-connect.1` and `man/conclave-ndjson.5`, run literally against a real
/// `conclave-serve`, in a sandbox home with the built tools first on `PATH`. Only the server URL and
/// `/tmp/link.sock` are replaced by the test's own; `agent` is a stub that prints one post. Commands that run
/// until stopped (a trailing `&`, `tail -f`, a follower) are started, checked and stopped in turn.
@Suite struct ConnectManPageExampleTests {
    /// The examples of `page` (see `ManPageExamples`) that are commands, and the lines of those that are sample
    /// records (JSON objects).
    static func examples(_ page: String) throws -> (commands: [String], samples: [String]) {
        let examples = try ManPageExamples(page).examples
        let isSample = { (example: String) in example.hasPrefix("{") }
        return (
            examples.filter { !isSample($0) },
            examples.filter(isSample).flatMap { $0.split(separator: "\n").map(String.init) })
    }

    /// The commands of a page, handed out by a distinctive part of their text, so that each check says which
    /// example it runs and the test can tell that none was left out.
    private final class Commands {
        private(set) var remaining: [String]

        init(_ commands: [String]) { remaining = commands }

        func take(_ part: String) throws -> String {
            let matches = remaining.filter { $0.contains(part) }
            try #require(matches.count == 1, "one example containing \(part): \(remaining)")
            remaining.removeAll { $0 == matches[0] }
            return matches[0]
        }
    }

    @Test func everyExampleOfConclaveConnectRuns() throws {
        let world = try ConnectWorld()
        let home = world.sandbox.home
        let key = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: ["-q"], environment: world.environment(), timeout: 10)
        try #require(key.status == 0, "\(key.stderrText)")
        let stubs = world.sandbox.path("stubs")
        mkdir(stubs, 0o700)
        try world.sandbox.writeFile(
            stubs + "/agent", "#!/bin/sh\n" + #"echo '{"channel":"ops","body":"may I?","_id":"a1"}'"# + "\n",
            mode: 0o700)
        let environment = world.environment(["PATH": "\(stubs):\(ToolProcess.binaryDirectory):/usr/bin:/bin"])
        let url = String(world.url.dropLast())
        let socketPath = world.sandbox.path("link.sock")
        let adapt = { (command: String) in
            command.replacing("ws://127.0.0.1:4390", with: url).replacing("/tmp/link.sock", with: socketPath)
        }
        let commands = Commands(try Self.examples("conclave-connect.1").commands.map(adapt))
        let run = { (command: String) throws -> ToolOutcome in
            try ToolProcess.run(
                "/bin/sh", arguments: ["-c", command], environment: environment, workingDirectory: home, timeout: 15)
        }
        let start = { (command: String) throws -> ToolProcess in
            // The shell's `&` is the test's to do: the process is started, kept, and stopped at the end.
            let foreground = command.hasSuffix(" &") ? String(command.dropLast(2)) : command
            return try ToolProcess(
                "/bin/sh", arguments: ["-c", foreground], environment: environment, workingDirectory: home)
        }
        let stop = { (process: ToolProcess) in
            process.send(SIGTERM)
            _ = process.finish(deadline: .after(seconds: 10))
        }

        let registered = try run(try commands.take("--register"))
        #expect(registered.status == 0, "\(registered.stderrText)")
        let config = try ConclaveConfig.load(from: home + "/.config/conclave/config.toml")
        #expect(config.servers == [ServerRegistration(url: url, username: "alice", machine: "laptop")])

        let created = try run(try commands.take("<<'EOF'"))
        #expect(created.status == 0, "\(created.stderrText)")
        let replies = records(created.stdoutLines).filter { $0["_id"] != nil }
        #expect(replies.map { $0["type"] } == ["ack", "joined", "ack"])
        #expect(replies.map { $0["_id"] } == [1, 2, 3])

        let posted = try run(try commands.take("build green"))
        #expect(posted.status == 0, "\(posted.stderrText)")
        #expect(records(posted.stdoutLines).contains { $0["type"] == "ack" })

        // The follower prints nothing until a message comes: post until one is printed.
        let follower = try start(try commands.take("| jq"))
        let deadline = Deadline.after(seconds: 15)
        var followed: String?
        var attempt = 0
        while followed == nil && !deadline.hasPassed {
            attempt += 1
            let line = #"{"channel":"ops","body":"followed \#(attempt)"}"#
            _ = try ToolProcess.run(
                ToolProcess.binary("conclave-connect"), arguments: ["-E", "-j", "ops", "--as", "poster"],
                environment: environment, stdin: line + "\n", workingDirectory: home, timeout: 10)
            followed = follower.readLine(deadline: .after(seconds: 0.3))
        }
        #expect(followed?.hasPrefix("followed ") == true, "\(String(describing: followed))")
        stop(follower)

        let shared = try start(try commands.take("--socket"))
        let client = try SocketLineClient(path: socketPath, deadline: .after(seconds: 10))
        try client.send(#"{"type":"who","channel":"ops","_id":"s"}"#)
        let presence = client.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "s" }
        #expect(presence?["type"] == "presence")
        stop(shared)

        let fifo = try start(try commands.take("--fifo"))
        let input = home + "/conclave/in"
        let made = Deadline.after(seconds: 10)
        var info = stat()
        while !(stat(input, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO) && !made.hasPassed { usleep(20_000) }
        let echoed = try run(try commands.take("> ~/conclave/in"))
        #expect(echoed.status == 0, "\(echoed.stderrText)")
        let tail = try start(try commands.take("tail -f"))
        #expect(tail.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "ack" } != nil)
        stop(tail)
        stop(fifo)

        let agent = try start(try commands.take("agent |"))
        let refusal = agent.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "a1" }
        #expect(refusal?["error"] == "unauthorized")
        #expect(refusal?["message"]?.stringValue?.contains("config.toml") == true)
        stop(agent)

        #expect(commands.remaining.isEmpty, "examples no test ran: \(commands.remaining)")
    }

    @Test func everyExampleOfConclaveNDJSONRuns() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let (commandList, samples) = try Self.examples("conclave-ndjson.5")
        let commands = Commands(commandList)
        try #require(samples.count == 4, "\(samples)")
        let sample = try samples.map { try #require(try JSONValue(parsing: $0).objectValue, "\($0)") }
        let withoutArrival = { (object: JSONObject?) -> JSONObject? in
            object.map { object in
                var stable = object
                stable["_server"] = nil
                stable["_rx_ms"] = nil
                return stable
            }
        }

        // A request and its reply.
        let joined = try world.connect("alice", ["-E"], stdin: samples[0] + "\n")
        #expect(withoutArrival(records(joined.stdoutLines).first { $0["_id"] == "j1" }) == withoutArrival(sample[1]))

        // A request the link could not complete: the server stops answering and the tool is told to end.
        let link = try world.start("alice", [])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        world.server.signal(SIGSTOP)
        defer { world.server.signal(SIGCONT) }
        try link.write(#"{"type":"list_channels","_id":7}"# + "\n")
        usleep(200_000)
        link.send(SIGTERM)
        let ended = link.finish(deadline: .after(seconds: 10))
        let failed = records(ended.stdoutLines).first { $0["_id"] == 7 }
        #expect(withoutArrival(failed) == withoutArrival(sample[2]), "\(ended.stdoutText)")
        world.server.signal(SIGCONT)

        // A bad line, the third of standard input.
        let bad = try world.connect(
            "alice", ["-E"], stdin: #"{"type":"list_users"}"# + "\n" + #"{"type":"ping"}"# + "\n"
                + #"{"type":"shout"}"# + "\n")
        let inputError = records(bad.stdoutLines).first { $0["type"] == "input_error" }
        #expect(withoutArrival(inputError) == withoutArrival(sample[3]))

        // The bodies of the messages of one channel, from the samples and a message printed by the tool.
        let bob = try world.start("alice", ["-j", "ops", "--as", "reader"])
        #expect(bob.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" } != nil)
        _ = try world.connect("alice", ["-E", "-j", "ops"], stdin: #"{"channel":"ops","body":"deployed"}"# + "\n")
        let delivery = try #require(bob.readLine(deadline: .after(seconds: 10)))
        bob.send(SIGTERM)
        _ = bob.finish(deadline: .after(seconds: 10))
        let filter = try ToolProcess.run(
            "/bin/sh", arguments: ["-c", try commands.take("jq -r")], environment: world.environment(),
            stdin: (samples + [delivery]).joined(separator: "\n") + "\n", timeout: 10)
        #expect(filter.status == 0, "\(filter.stderrText)")
        #expect(filter.stdoutLines == ["deployed"])
        #expect(commands.remaining.isEmpty, "examples no test ran: \(commands.remaining)")
    }
}
