#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveIdentity
@testable import ConclaveTransport
@testable import ConclaveWire

/// `conclave-connect` as a process against a real `conclave-serve` (TOOLS.md "conclave-connect").
@Suite struct ConnectTests {
    @Test func registersRecordsTheServerAndExits() throws {
        let world = try ConnectWorld()
        let directory = world.directory("alice")
        let configPath = directory + "/config.toml"
        mkdir(directory, 0o700)
        let stale = """
            [[servers]]
            url = "\(world.url)"
            username = "someone-else"
            machine = "old"

            [[servers]]
            url = "ws://elsewhere.example/"
            username = "alice"
            machine = "laptop"

            """
        let fd = open(configPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = write(fd, stale, stale.utf8.count)
        close(fd)
        _ = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: ["-q", "--config-dir", directory],
            environment: world.environment(), timeout: 10)

        let outcome = try world.connect("alice", ["--register", "alice/laptop", "-E"])
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        let up = try #require(records(outcome.stdoutLines).first)
        #expect(up["type"] == "link_up")
        let handle = world.sandbox.home.split(separator: "/").last.map(String.init) ?? ""
        #expect(up["path"] == .string("alice/laptop/\(handle)"))
        #expect(up["admin"] == true)
        #expect(up["_server"] == .string(world.url))
        let config = try ConclaveConfig.load(from: configPath)
        #expect(config.servers == [
            ServerRegistration(url: world.url, username: "alice", machine: "laptop"),
            ServerRegistration(url: "ws://elsewhere.example/", username: "alice", machine: "laptop"),
        ])
        // Registered: the next run authenticates with the recorded server (no -u needed).
        let again = try ToolProcess.run(
            ToolProcess.binary("conclave-connect"), arguments: ["--config-dir", directory, "-E", "--as", "x"],
            environment: world.environment(["CONCLAVE_URL": world.url]), timeout: 15)
        #expect(again.status == 0, "\(again.stderrText)")
    }

    @Test func twoLinksJoinPostAndReceiveWithRepliesMatchedById() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.register("bob")
        try world.createChannel("ops")

        let bob = try world.start("bob", ["-j", "ops", "--as", "main"])
        let joined = bob.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" }
        #expect(joined?["channel"] == "ops")

        let input = [
            #"{"type":"who","channel":"ops","_id":"who-1"}"#,
            #"{"channel":"ops","body":"hello bob","_id":42}"#,
            #"{"to":"bob/laptop/main","body":"psst","_id":1.5}"#,
            #"{"type":"list_channels"}"#,
        ].joined(separator: "\n") + "\n"
        let alice = try world.connect("alice", ["-j", "ops", "-E", "--as", "desk"], stdin: input)
        #expect(alice.status == 0, "\(alice.stderrText)")
        let replies = records(alice.stdoutLines).filter { !["link_up", "joined"].contains($0["type"]?.stringValue) }
        #expect(replies.map { $0["type"] } == ["presence", "ack", "ack", "channel_list"])
        #expect(replies.map { $0["_id"] } == ["who-1", 42, 1.5, nil])
        #expect(replies.allSatisfy { $0["_server"] == .string(world.url) && $0["_rx_ms"]?.integerValue != nil })

        let message = bob.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "channel_msg" }
        #expect(message?["from"] == "alice/laptop/desk")
        #expect(message?["payload"] == ["plain": "hello bob"])
        #expect(message?["_permission"] == "notify")
        let whisper = bob.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "whisper" }
        #expect(whisper?["payload"] == ["plain": "psst"])

        bob.send(SIGTERM)
        let ended = bob.finish(deadline: .after(seconds: 10))
        #expect(ended.status == 0, "\(ended.stderrText)")
    }

    @Test func aBadLineIsReportedAndItsNeighboursAreSent() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let input = [
            #"{"type":"who","channel":null,"_id":1}"#,
            "not json",
            #"{"type":"list_channels","_id":3}"#,
            #"{"type":"joined","channel":"ops","_id":"x"}"#,
            #"{"type":"list_users","_id":5}"#,
        ].joined(separator: "\n") + "\n"
        let outcome = try world.connect("alice", ["-E"], stdin: input)
        #expect(outcome.status == 65)
        let lines = records(outcome.stdoutLines).filter { $0["type"] != "link_up" }
        let errors = lines.filter { $0["type"] == "input_error" }
        #expect(errors.map { $0["line"] } == [2, 4])
        #expect(errors.map { $0["_id"] } == [nil, "x"])
        #expect(lines.filter { $0["type"] != "input_error" }.map { $0["_id"] } == [1, 3, 5])
        let diagnostics = outcome.stderrText.split(separator: "\n")
        #expect(diagnostics.count == 2, "\(outcome.stderrText)")
        #expect(diagnostics.first?.hasPrefix("conclave-connect: stdin line 2: invalid JSON") == true)

        let strict = try world.connect("alice", ["-E", "--strict"], stdin: "nope\n" + #"{"type":"who"}"# + "\n")
        #expect(strict.status == 65)
        #expect(!strict.stdoutLines.contains { $0.hasPrefix(#"{"type":"presence""#) })
    }

    /// `printf '\x1b[31m\n' | conclave-connect -E`: jansson quotes the bad byte, and stderr shows it escaped.
    @Test func controlBytesOfABadLineReachStderrEscaped() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let outcome = try world.connect("alice", ["-E"], stdin: "\u{1B}[31m\u{9B}2J\n")
        #expect(outcome.status == 65)
        #expect(outcome.stderrText.contains(#"\x1b"#), "\(outcome.stderrText)")
        let controls = outcome.stderrText.unicodeScalars.filter {
            $0 != "\n" && ($0.value < 0x20 || (0x7F...0x9F).contains($0.value))
        }
        #expect(controls.isEmpty, "\(outcome.stderrText.debugDescription)")
    }

    @Test func aLongPipelineIsAnsweredInOrderWithoutOverrunningTheServer() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let count = 3_000
        let input = (0..<count).map { #"{"channel":"ops","body":"m\#($0)","_id":\#($0)}"# }.joined(separator: "\n")
        let outcome = try world.connect("alice", ["-j", "ops", "-E"], stdin: input + "\n", timeout: 60)
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        let acks = records(outcome.stdoutLines).filter { $0["type"] == "ack" }
        #expect(acks.map(\.["_id"]) == (0..<count).map { JSONValue.integer(Int64($0)) })
        #expect(!outcome.stdoutText.contains("link_down"))
    }

    @Test func anUnknownKeyIsRefusedAtOnce() throws {
        let world = try ConnectWorld()
        _ = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: ["-q", "--config-dir", world.directory("mallory")],
            environment: world.environment(), timeout: 10)
        let outcome = try world.connect("mallory", ["-E"], timeout: 10)
        #expect(outcome.status == 77, "\(outcome.stderrText)")
        #expect(!outcome.timedOut)
        #expect(outcome.stderrText.contains("unknown machine key"))
    }

    @Test func aMissingOrExposedKeyStopsBeforeDialling() throws {
        let world = try ConnectWorld()
        let missing = try world.connect("nobody", ["-E"])
        #expect(missing.status == 66)
        try world.sandbox.writeKey(KeygenTests.testKeyFileText, in: "exposed", mode: 0o644)
        let exposed = try world.connect("exposed", ["-E"])
        #expect(exposed.status == 77)
        #expect(exposed.stderrText.contains("chmod 600"))
    }

    @Test func anUnreachableServerWithRetryTwoIs69() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let closed = try ListeningSocket(binding: HostAndPort(host: "127.0.0.1", port: 0))
        let url = "ws://127.0.0.1:\(closed.address.port)/"
        closed.socket.close()
        let outcome = try world.connect("alice", ["--retry", "2", "-E"], url: url)
        #expect(outcome.status == 69, "\(outcome.stderrText)")
        #expect(records(outcome.stdoutLines).contains { $0["type"] == "link_retry" && $0["attempt"] == 1 })
    }

    @Test func noReconnectEndsWith75WhenAnUpLinkDrops() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let link = try world.start("alice", ["--no-reconnect"])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        world.server.kill()
        let ended = link.finish(deadline: .after(seconds: 10))
        #expect(ended.status == 75, "\(ended.stderrText)")
        #expect(records(ended.stdoutLines).contains { $0["type"] == "link_down" })
    }

    @Test func agentRefusesPostsBelowConverse() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let input = #"{"channel":"ops","body":"may I?","_id":"a1"}"# + "\n"
        let outcome = try world.connect("alice", ["-j", "ops", "--agent", "-E"], stdin: input)
        #expect(outcome.status == 77)
        let refusal = records(outcome.stdoutLines).first { $0["_id"] == "a1" }
        #expect(refusal?["type"] == "error")
        #expect(refusal?["error"] == "unauthorized")
        #expect(refusal?["_local"] == true)
        #expect(refusal?["message"]?.stringValue?.contains(#"channel = "ops" level = "converse""#) == true)
    }

    @Test func theOverrideTheAgentRefusalAdvisesCanBeAddedAfterRegistering() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let input = #"{"channel":"ops","body":"may I?","_id":"a1"}"# + "\n"
        #expect(try world.connect("alice", ["-j", "ops", "--agent", "-E"], stdin: input).status == 77)
        // What the refusal says to add, appended by hand to the file --register wrote.
        let configPath = world.directory("alice") + "/config.toml"
        let fd = open(configPath, O_WRONLY | O_APPEND)
        let block = "\n[[overrides]]\nserver = \"\(world.url)\"\nchannel = \"ops\"\nlevel = \"converse\"\n"
        _ = write(fd, block, block.utf8.count)
        close(fd)
        let outcome = try world.connect("alice", ["-j", "ops", "--agent", "-E"], stdin: input)
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        #expect(records(outcome.stdoutLines).contains { $0["_id"] == "a1" && $0["type"] == "ack" })
    }

    @Test func registeringEditsAHandWrittenConfigInPlace() throws {
        let world = try ConnectWorld()
        let directory = world.directory("alice")
        let configPath = directory + "/config.toml"
        mkdir(directory, 0o700)
        _ = try ToolProcess.run(
            ToolProcess.binary("conclave-keygen"), arguments: ["-q", "--config-dir", directory],
            environment: world.environment(), timeout: 10)
        let original = """
            # my conclave settings
            default_permission = "notify"  # quiet
            ui.color = true                # valid TOML the tool does not use

            [[servers]]
            url = "\(world.url)"
            username = "someone-else"  # stale
            machine = "old"

            [ui.theme]
            name = "dark"
            since = 2024-05-01T08:00:00Z

            """
        let fd = open(configPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = write(fd, original, original.utf8.count)
        close(fd)

        let first = try world.connect("alice", ["--register", "alice/laptop", "-E"])
        #expect(first.status == 0, "\(first.stderrText)")
        let replaced = original.split(separator: "\"someone-else\"", omittingEmptySubsequences: false)
            .joined(separator: "\"alice\"")
            .split(separator: "\"old\"", omittingEmptySubsequences: false).joined(separator: "\"laptop\"")
        #expect(String(decoding: try world.sandbox.read(configPath), as: UTF8.self) == replaced)

        // A second server: appended after the last [[servers]] entry, nothing else touched.
        let otherServer = try ServeProcess(["--admin", "alice"], storage: .memory)
        let secondURL = otherServer.url
        let second = try world.connect("alice", ["--register", "bob/desk", "-E"], url: secondURL)
        #expect(second.status == 0, "\(second.stderrText)")
        let appended = replaced.split(separator: "machine = \"laptop\"\n", omittingEmptySubsequences: false)
            .joined(separator: "machine = \"laptop\"\n\n[[servers]]\nurl = \"\(secondURL)\"\nusername = \"bob\"\n"
                + "machine = \"desk\"\n")
        #expect(String(decoding: try world.sandbox.read(configPath), as: UTF8.self) == appended)
    }

    @Test func threeSocketClientsEachGetTheirOwnReplies() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let path = world.sandbox.path("link.sock")
        let link = try world.start("alice", ["--socket", path, "--as", "shared"])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        #expect(try world.sandbox.mode(path) == 0o600)

        let clients = try (0..<3).map { _ in try SocketLineClient(path: path, deadline: .after(seconds: 5)) }
        for (index, client) in clients.enumerated() {
            try client.send(#"{"type":"join","channel":"ops","_id":1}"#)
            try client.send(#"{"type":"who","channel":"ops","_id":"c\#(index)"}"#)
        }
        for (index, client) in clients.enumerated() {
            let joined = client.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" }
            #expect(joined?["_id"] == 1)
            let presence = client.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "presence" }
            #expect(presence?["_id"] == .string("c\(index)"))
        }
        try clients[0].send(#"{"channel":"ops","body":"from zero","_id":"p"}"#)
        let ack = clients[0].readRecord(deadline: .after(seconds: 10)) { $0["type"] == "ack" }
        #expect(ack?["_id"] == "p")
        for client in clients[1...] {
            let echo = client.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "channel_msg" }
            #expect(echo?["_echo"] == true)
            #expect(echo?["from"] == "alice/laptop/shared")
            #expect(echo?["_id"] == nil)
        }
        let printed = link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "channel_msg" }
        #expect(printed?["_echo"] == true)

        // Others still hold ops: the leave is answered here; the last holder's goes to the server.
        try clients[1].send(#"{"type":"leave","channel":"ops","_id":"l"}"#)
        let local = clients[1].readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "l" }
        #expect(local?["type"] == "ack")
        #expect(local?["detail"] == "ops")
        #expect(local?["_local"] == true)

        link.send(SIGTERM)
        let ended = link.finish(deadline: .after(seconds: 10))
        #expect(ended.status == 0, "\(ended.stderrText)")
        #expect(access(path, F_OK) != 0, "the socket file is removed at exit")
    }

    @Test func theLastSocketClientHoldingAChannelLeavesItOnTheServerWhenItGoes() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let path = world.sandbox.path("l.sock")
        let link = try world.start("alice", ["--socket", path, "--as", "shared"])
        var first: SocketLineClient? = try SocketLineClient(path: path, deadline: .after(seconds: 10))
        let second = try SocketLineClient(path: path, deadline: .after(seconds: 10))
        for client in [first, second].compactMap({ $0 }) {
            try client.send(#"{"type":"join","channel":"ops"}"#)
            #expect(client.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" } != nil)
        }
        let presence = { (id: String) throws -> [JSONValue]? in
            try link.write(#"{"type":"who","channel":"ops","_id":"\#(id)"}"# + "\n")
            return link.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == .string(id) }?["sessions"]?
                .arrayValue
        }
        try second.send(#"{"type":"leave","channel":"ops","_id":"bye"}"#)
        let left = second.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "bye" }
        #expect(left?["type"] == "ack")
        #expect(left?["_local"] == true, "the first client still holds ops")
        #expect(try presence("one-left") == ["alice/laptop/shared"])
        first = nil
        // The disconnect reaches the tool in its own time: ask until the server-side leave has happened.
        let deadline = Deadline.after(seconds: 10)
        var sessions = try presence("gone-0")
        var attempt = 0
        while sessions != [] && !deadline.hasPassed {
            attempt += 1
            usleep(50_000)
            sessions = try presence("gone-\(attempt)")
        }
        #expect(sessions == [])
        link.send(SIGTERM)
        #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
    }

    @Test func aHalfClosedSocketClientStillGetsItsReplies() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let path = world.sandbox.path("s")
        let link = try world.start("alice", ["--socket", path])
        let client = try SocketLineClient(path: path, deadline: .after(seconds: 10))
        try client.send(#"{"type":"list_channels","_id":"only"}"#)
        client.shutdownOutput()
        let reply = client.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "only" }
        #expect(reply?["type"] == "channel_list")
        link.send(SIGINT)
        #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
    }

    @Test func aStaleSocketFileIsReplacedAndALiveOneIsNot() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let path = world.sandbox.path("stale.sock")
        let stale = try UnixSocketFile(path: path)
        stale.closeWithoutRemoving()
        let link = try world.start("alice", ["--socket", path])
        _ = try SocketLineClient(path: path, deadline: .after(seconds: 10))
        let second = try world.connect("alice", ["--socket", path, "-E", "--as", "other"])
        #expect(second.status == 1)
        #expect(second.stderrText.contains("cannot listen on \(path): another process is listening there"))
        link.send(SIGTERM)
        #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
    }

    @Test func aFileThatIsNotASocketIsLeftAlone() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let path = world.sandbox.path("notes.txt")
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        _ = write(fd, "keep me\n", 8)
        close(fd)
        let outcome = try world.connect("alice", ["--socket", path, "-E"])
        #expect(outcome.status == 1)
        #expect(outcome.stderrText.contains("cannot listen on \(path): it exists and is not a socket"))
        #expect(try readWholeFile(path) == Array("keep me\n".utf8))
    }

    @Test func fifoInputIsReadWriterAfterWriterAndOutputIsLogged() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let directory = world.sandbox.path("ii")
        let link = try world.start("alice", ["--fifo", directory])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        for id in ["first", "second"] {
            try writeToFIFO(directory + "/in", #"{"type":"list_channels","_id":"\#(id)"}"# + "\n")
            let reply = link.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == .string(id) }
            #expect(reply?["type"] == "channel_list")
        }
        #expect(try world.sandbox.mode(directory + "/in") == 0o600)
        link.send(SIGTERM)
        #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
        let log = records(String(decoding: try readWholeFile(directory + "/out"), as: UTF8.self)
            .split(separator: "\n").map(String.init))
        #expect(log.map { $0["type"] } == ["link_up", "channel_list", "channel_list"])
    }

    @Test func aSignalWithARequestUnansweredWaitsThenExits75() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let link = try world.start("alice", [])
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        world.server.signal(SIGSTOP)
        defer { world.server.signal(SIGCONT) }
        try link.write(#"{"type":"list_channels","_id":"late"}"# + "\n")
        usleep(200_000)
        link.send(SIGTERM)
        let ended = link.finish(deadline: .after(seconds: 10))
        #expect(ended.status == 75, "\(ended.stderrText)")
        let failed = records(ended.stdoutLines).first { $0["_id"] == "late" }
        #expect(failed?["type"] == "error")
        #expect(failed?["_local"] == true)
    }

    @Test func aClosedStdoutEndsQuietlyWithStatus0() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let command = "\"$0\" --config-dir \"$1\" -u \"$2\" -j nowhere | head -1 >/dev/null; exit ${PIPESTATUS[0]}"
        let outcome = try ToolProcess.run(
            "/bin/bash", arguments: ["-c", command, ToolProcess.binary("conclave-connect"), world.directory("alice"),
                                     world.url],
            environment: world.environment(), timeout: 15)
        #expect(outcome.status == 0, "\(outcome.stderrText)")
        #expect(!outcome.timedOut)
    }

    @Test func endOfStdinAloneDoesNotStopTheLink() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let link = try world.start("alice", [])
        link.closeStdin()
        #expect(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_up" } != nil)
        #expect(link.readLine(deadline: .after(seconds: 0.5)) == nil, "still running, nothing printed")
        link.send(SIGTERM)
        #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
    }
}

/// Opens `path` for writing (retrying while the reader has it closed between writers), writes `text`, closes.
private func writeToFIFO(_ path: String, _ text: String) throws {
    let deadline = Deadline.after(seconds: 10)
    var fd: Int32 = -1
    while fd < 0 {
        fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        if fd < 0 {
            guard !deadline.hasPassed, errno == ENXIO || errno == ENOENT else {
                throw ToolProcessError(description: "open \(path): errno \(errno)")
            }
            usleep(20_000)
        }
    }
    defer { close(fd) }
    let bytes = Array(text.utf8)
    guard write(fd, bytes, bytes.count) == bytes.count else {
        throw ToolProcessError(description: "write \(path): errno \(errno)")
    }
}

/// A Unix socket file bound at `path`, to leave behind as a stale one.
private final class UnixSocketFile {
    private var fd: Int32

    init(path: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw ToolProcessError(description: "bind \(path): errno \(errno)") }
    }

    /// Closes the socket and leaves its file, as a process that died would.
    func closeWithoutRemoving() {
        if fd >= 0 { close(fd) }
        fd = -1
    }

    deinit { closeWithoutRemoving() }
}
