#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveWire

/// The link's recovery seen through the `conclave-connect` binary against a real `conclave-serve`: a killed and
/// restarted server, a frozen one, and two processes fighting over one session path (TOOLS.md "The link",
/// PROTOCOL.md §7). The test hooks shorten the link's clocks so that each test runs in seconds.
@Suite(.serialized) struct ConnectLinkTests {
    /// Reads records until `count` of them match `predicate`; fewer at the deadline.
    private func collect(
        _ process: ToolProcess, count: Int, within seconds: Double, where predicate: (JSONObject) -> Bool
    ) -> [JSONObject] {
        let deadline = Deadline.after(seconds: seconds)
        var found: [JSONObject] = []
        while found.count < count, let record = process.readRecord(deadline: deadline, where: predicate) {
            found.append(record)
        }
        return found
    }

    private func isPost(_ text: String) -> (JSONObject) -> Bool {
        { $0["type"] == "channel_msg" && $0["payload"] == ["plain": .string(text)] }
    }

    @Test(.singleServer("restarts on its data directory"))
    func aKilledServerIsRedialledWithGrowingDelaysAndNothingTypedMeanwhileIsLost() throws {
        let world = try ConnectWorld(storage: .dataDirectory)
        try world.register("alice")
        try world.register("bob")
        try world.createChannel("ops")
        let backoff = ["CONCLAVE_BACKOFF_BASE_MS": "100", "CONCLAVE_BACKOFF_CAP_MS": "1600"]
        let alice = try world.start("alice", ["-j", "ops", "--as", "a"], environment: backoff)
        let bob = try world.start("bob", ["-j", "ops", "--as", "b"], environment: backoff)
        for link in [alice, bob] {
            try #require(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" } != nil)
        }

        // Frozen, the server never reads the post: it is in flight when the server dies.
        world.server.signal(SIGSTOP)
        try alice.write(#"{"channel":"ops","body":"in flight","_id":"f"}"# + "\n")
        usleep(200_000)
        world.server.kill()
        let down = alice.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "link_down" }
        #expect(down?["reason"]?.stringValue?.isEmpty == false)
        try alice.write(#"{"channel":"ops","body":"typed while down 1","_id":"d1"}"# + "\n")
        let retries = collect(alice, count: 3, within: 15) { $0["type"] == "link_retry" }
        try #require(retries.count == 3, "\(retries)")
        #expect(retries.map { $0["attempt"] } == [1, 2, 3])
        let delays = retries.compactMap { $0["delay_ms"]?.integerValue }
        #expect(delays.count == 3 && delays[0] < delays[1] && delays[1] < delays[2], "\(delays)")
        try alice.write(#"{"channel":"ops","body":"typed while down 2","_id":"d2"}"# + "\n")

        try world.killAndRestartServer()
        let up = alice.readRecord(deadline: .after(seconds: 15)) { $0["type"] == "link_up" }
        #expect(up?["path"] == "alice/laptop/a")
        let acks = collect(alice, count: 3, within: 15) { $0["type"] == "ack" }
        #expect(Set(acks.compactMap { $0["_id"]?.stringValue }) == ["f", "d1", "d2"], "\(acks)")

        // Both links re-joined ops on their own: bob's post after the restart reaches alice.
        try #require(bob.readRecord(deadline: .after(seconds: 15)) { $0["type"] == "link_up" } != nil)
        try bob.write(#"{"channel":"ops","body":"after the restart","_id":"b"}"# + "\n")
        #expect(bob.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "b" }?["type"] == "ack")
        #expect(alice.readRecord(deadline: .after(seconds: 10), where: isPost("after the restart")) != nil)

        try alice.write(#"{"type":"read_since","channel":"ops","since_ms":0,"_id":"h"}"# + "\n")
        let history = alice.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "h" }
        let bodies = (history?["messages"]?.arrayValue ?? []).compactMap {
            $0.objectValue?["payload"]?.objectValue?["plain"]?.stringValue
        }
        for body in ["in flight", "typed while down 1", "typed while down 2", "after the restart"] {
            #expect(bodies.filter { $0 == body }.count == 1, "\(body) in \(bodies)")
        }
        for link in [alice, bob] {
            link.send(SIGTERM)
            #expect(link.finish(deadline: .after(seconds: 10)).status == 0)
        }
    }

    @Test func aFrozenServerIsFoundDeadByThePingAndTheLinkRecoversAfterContinue() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let alice = try world.start(
            "alice", ["-j", "ops", "--as", "a", "--ping-interval", "0.3", "--pong-timeout", "0.3"])
        try #require(alice.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" } != nil)
        world.server.signal(SIGSTOP)
        defer { world.server.signal(SIGCONT) }
        // Ping plus pong deadline is 0.6 s; the margin is for a loaded machine.
        let down = alice.readRecord(deadline: .after(seconds: 0.6 + 5)) { $0["type"] == "link_down" }
        #expect(down?["reason"]?.stringValue?.contains("of a ping") == true, "\(String(describing: down))")
        world.server.signal(SIGCONT)
        let up = alice.readRecord(deadline: .after(seconds: 15)) { $0["type"] == "link_up" }
        #expect(up?["path"] == "alice/laptop/a")
        try alice.write(#"{"type":"who","channel":"ops","_id":"w"}"# + "\n")
        let presence = alice.readRecord(deadline: .after(seconds: 10)) { $0["_id"] == "w" }
        #expect(presence?["sessions"] == ["alice/laptop/a"], "re-joined after the recovery")
        alice.send(SIGTERM)
        #expect(alice.finish(deadline: .after(seconds: 10)).status == 0)
    }

    /// The environment of a supersede fight: the breaker trips at the second short-lived link in a row.
    private let fight = [
        "CONCLAVE_FLAP_THRESHOLD": "2", "CONCLAVE_STABILITY_MS": "60000",
        "CONCLAVE_BACKOFF_BASE_MS": "20", "CONCLAVE_BACKOFF_CAP_MS": "80",
    ]

    @Test func twoProcessesWithOneExplicitHandleWarnOnceEachAndKeepTheirName() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        let links = try (0..<2).map { _ in try world.start("alice", ["--as", "same"], environment: fight) }
        let warning = "keeps superseding this one; use a different handle (--as)"
        for link in links {
            let line = link.readLine(from: .stderr, deadline: .after(seconds: 15)).flatMap { first -> String? in
                var line: String? = first
                while let current = line, !current.contains(warning) {
                    line = link.readLine(from: .stderr, deadline: .after(seconds: 15))
                }
                return line
            }
            #expect(line?.contains("`same`") == true, "\(String(describing: line))")
        }
        // The fight goes on a little longer: no second warning, and every path is still the explicit one.
        usleep(1_000_000)
        for link in links {
            link.send(SIGTERM)
            let ended = link.finish(deadline: .after(seconds: 10))
            #expect(ended.stderrText.split(separator: "\n").filter { $0.contains(warning) }.isEmpty,
                    "one warning: \(ended.stderrText)")
            let paths = records(ended.stdoutLines).filter { $0["type"] == "link_up" }.map { $0["path"] }
            #expect(!paths.isEmpty && paths.allSatisfy { $0 == "alice/laptop/same" }, "\(paths)")
        }
    }

    @Test func twoProcessesWithTheDefaultedHandleEndTheFightWithOneRenamed() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        // Both run in the sandbox home: the same working directory, so the same defaulted handle.
        let base = try #require(world.sandbox.home.split(separator: "/").last.map(String.init))
        let links = try (0..<2).map { _ in try world.start("alice", [], environment: fight) }
        let expected: Set<String> = ["alice/laptop/\(base)", "alice/laptop/\(base)-2"]
        let deadline = Deadline.after(seconds: 15)
        var latest: [String?] = [nil, nil]
        while Set(latest.compactMap { $0 }) != expected && !deadline.hasPassed {
            for (index, link) in links.enumerated() {
                if let up = link.readRecord(deadline: .after(seconds: 0.05), where: { $0["type"] == "link_up" }) {
                    latest[index] = up["path"]?.stringValue
                }
            }
        }
        #expect(Set(latest.compactMap { $0 }) == expected, "\(latest)")
        // The fight has stopped: both stay up, neither goes down again.
        for link in links {
            #expect(link.readRecord(deadline: .after(seconds: 1)) { $0["type"] == "link_down" } == nil)
        }
        var warnings = 0
        for link in links {
            link.send(SIGTERM)
            let ended = link.finish(deadline: .after(seconds: 10))
            #expect(ended.status == 0)
            warnings += ended.stderrText.split(separator: "\n").count {
                $0.contains("another live session holds `\(base)`; reconnecting as `\(base)-2`")
            }
        }
        #expect(warnings == 1)
    }

    /// Issue 10 item 1: one-shot posts from one directory (so one defaulted handle) supersede each other's
    /// sessions while their `-j` joins are outstanding. Each post arrives, or its process says it did not: a
    /// status 0 is never given for a post that was lost.
    @Test func oneShotPostsFightingOverOneHandleAreDeliveredOrFailLoudly() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.register("bob")
        try world.createChannel("ops")
        let receiver = try world.start("bob", ["-j", "ops", "--as", "receiver"])
        try #require(receiver.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" } != nil)
        for round in 1...3 {
            let senders = try (1...4).map { number in
                try ToolProcess(
                    ToolProcess.binary("conclave-connect"),
                    arguments: ["--config-dir", world.directory("alice"), "-u", world.url, "-E", "-j", "ops"],
                    environment: world.environment(fight), workingDirectory: world.sandbox.home)
            }
            for (index, sender) in senders.enumerated() {
                try sender.write(#"{"channel":"ops","body":"r\#(round)p\#(index + 1)"}"# + "\n")
            }
            var delivered: [String] = []
            for (index, sender) in senders.enumerated() {
                let ended = sender.finish(deadline: .after(seconds: 30))
                if ended.status == 0 { delivered.append("r\(round)p\(index + 1)") } else {
                    #expect(!ended.stderrText.isEmpty, "a failing sender says why")
                }
            }
            let received = collect(receiver, count: delivered.count, within: 10) { $0["type"] == "channel_msg" }
            #expect(received.compactMap { $0["payload"]?["plain"]?.stringValue }.sorted() == delivered.sorted(),
                    "round \(round): every post acknowledged with status 0 reached the receiver")
            #expect(delivered.count == 4, "round \(round): a join interrupted by a supersede is re-sent")
        }
        receiver.send(SIGTERM)
        _ = receiver.finish(deadline: .after(seconds: 10))
    }
}
