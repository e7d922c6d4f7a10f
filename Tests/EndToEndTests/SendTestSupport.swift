import Testing
@testable import ConclaveWire

extension ConnectWorld {
    /// Runs `conclave-send` as `user` against this server to completion, with `stdin`.
    func send(
        _ user: String, _ arguments: [String], stdin: String = "", timeout: Double = 20,
        environment extra: [String: String] = [:]
    ) throws -> ToolOutcome {
        try ToolProcess.run(
            ToolProcess.binary("conclave-send"), arguments: ["--config-dir", directory(user)] + arguments,
            environment: environment(["CONCLAVE_URL": url].merging(extra) { _, new in new }), stdin: stdin,
            workingDirectory: sandbox.home, timeout: timeout)
    }

    /// Starts `conclave-send` as `user`; its stdin stays open until closed.
    func startSend(_ user: String, _ arguments: [String]) throws -> ToolProcess {
        try ToolProcess(
            ToolProcess.binary("conclave-send"), arguments: ["--config-dir", directory(user)] + arguments,
            environment: environment(["CONCLAVE_URL": url]), workingDirectory: sandbox.home)
    }

    /// A `conclave-connect` of `user` as `--as handle` that has joined `channel` and is up.
    func listener(_ user: String, channel: String, handle: String = "listen") throws -> ToolProcess {
        let link = try start(user, ["--as", handle, "-j", channel])
        try #require(link.readRecord(deadline: .after(seconds: 10)) { $0["type"] == "joined" } != nil)
        return link
    }

    /// The bodies of `channel`'s history (at most one page, 500 rows), read as `user`.
    func history(_ user: String, _ channel: String) throws -> [String] {
        let line = #"{"type":"read_since","channel":""# + channel + #"","since_ms":0,"_id":"h"}"#
        let outcome = try connect(user, ["-E", "-j", channel, "--as", "history"], stdin: line + "\n")
        let reply = records(outcome.stdoutLines).first { $0["_id"] == "h" }
        return (reply?["messages"]?.arrayValue ?? []).compactMap {
            $0.objectValue?["payload"]?.objectValue?["plain"]?.stringValue
        }
    }
}

/// The plain bodies of the next `count` posts `link` prints, within `seconds`.
func postBodies(_ link: ToolProcess, count: Int, within seconds: Double) -> [String] {
    let deadline = Deadline.after(seconds: seconds)
    var bodies: [String] = []
    let isMessage: (JSONObject) -> Bool = { $0["type"] == "channel_msg" || $0["type"] == "whisper" }
    while bodies.count < count, let post = link.readRecord(deadline: deadline, where: isMessage) {
        bodies.append(post["payload"]?.objectValue?["plain"]?.stringValue ?? "")
    }
    return bodies
}
