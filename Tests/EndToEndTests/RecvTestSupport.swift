#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveWire

extension ConnectWorld {
    /// Runs `conclave-recv` as `user` against this server to completion.
    func recv(
        _ user: String, _ arguments: [String], stdin: String = "", timeout: Double = 20,
        environment extra: [String: String] = [:]
    ) throws -> ToolOutcome {
        try ToolProcess.run(
            ToolProcess.binary("conclave-recv"), arguments: ["--config-dir", directory(user), "-u", url] + arguments,
            environment: environment(extra), stdin: stdin, workingDirectory: sandbox.home, timeout: timeout)
    }

    /// Starts a long-running `conclave-recv` as `user`.
    func startRecv(
        _ user: String, _ arguments: [String], environment extra: [String: String] = [:]
    ) throws -> ToolProcess {
        try ToolProcess(
            ToolProcess.binary("conclave-recv"), arguments: ["--config-dir", directory(user), "-u", url] + arguments,
            environment: environment(extra), workingDirectory: sandbox.home)
    }

    /// Posts `bodies` to `channel` as `user`, one acknowledged message each, on one link.
    func post(_ user: String, _ channel: String, _ bodies: [String], handle: String = "poster") throws {
        let input = bodies.map { JSONValue.object(["channel": .string(channel), "body": .string($0)]).serialized() }
        let outcome = try connect(
            user, ["-q", "-E", "-j", channel, "--as", handle], stdin: input.joined(separator: "\n") + "\n",
            timeout: 60)
        try #require(outcome.status == 0, "post: \(outcome.stderrText)")
    }

    /// Waits until a follower without `--since` has joined: posts `probe-N` until it prints one (or the deadline).
    func waitUntilFollowing(_ follower: ToolProcess, _ channel: String, as user: String = "alice") throws -> Bool {
        let deadline = Deadline.after(seconds: 15)
        var attempt = 0
        while !deadline.hasPassed {
            attempt += 1
            try post(user, channel, ["probe-\(attempt)"], handle: "prober")
            if follower.readRecord(deadline: .after(seconds: 0.3), where: { _ in true }) != nil { return true }
        }
        return false
    }
}

/// The plain bodies of `channel_msg` records, in order.
func bodies(_ objects: [JSONObject]) -> [String] {
    objects.filter { $0["type"] == "channel_msg" }.compactMap { $0["payload"]?["plain"]?.stringValue }
}
