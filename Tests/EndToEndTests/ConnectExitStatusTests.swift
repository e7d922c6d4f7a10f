import Testing
@testable import ConclaveWire

/// `conclave-connect -E`'s status says whether everything asked for was done (issue 10, defects 2 and 3).
@Suite struct ConnectExitStatusTests {
    /// A post to a channel not joined is refused as `unauthorized` (PROTOCOL.md §6.5): 77 and one stderr line
    /// naming the request; a join of a missing channel is refused as `not_found`: 1.
    @Test func aRefusedRequestUnderEEndsWith1Or77AndNamesIt() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let post = try world.connect("alice", ["-E"], stdin: #"{"channel":"ops","body":"x"}"# + "\n")
        #expect(post.status == 77, "\(post.stderrText)")
        let lines = post.stderrText.split(separator: "\n")
        #expect(lines.count == 1, "\(post.stderrText)")
        #expect(lines.first?.hasPrefix("conclave-connect: stdin line 1: channel_msg refused: unauthorized") == true)

        let join = try world.connect("alice", ["-j", "nosuch", "-E"])
        #expect(join.status == 1, "\(join.stderrText)")
        #expect(join.stderrText.hasPrefix("conclave-connect: -j nosuch: join refused: "), "\(join.stderrText)")
    }

    /// An `unauthorized` reply (an admin op on another user's channel) is 77.
    @Test func anUnauthorizedReplyUnderEEndsWith77() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.register("bob")
        try world.createChannel("ops")
        let line = #"{"type":"admin","op":"delete_channel","name":"ops","_id":1}"#
        let outcome = try world.connect("bob", ["-E"], stdin: line + "\n")
        #expect(outcome.status == 77, "\(outcome.stderrText)")
        #expect(outcome.stderrText.contains("admin refused: unauthorized"), "\(outcome.stderrText)")
    }

    /// `--strict`: the valid line before the bad one is still sent and answered, then status 65.
    @Test func strictStillSendsWhatWasReadBeforeTheBadLine() throws {
        let world = try ConnectWorld()
        try world.register("alice")
        try world.createChannel("ops")
        let input = #"{"channel":"ops","body":"s1","_id":1}"# + "\n bad\n" + #"{"channel":"ops","body":"s3"}"# + "\n"
        let outcome = try world.connect("alice", ["-E", "-j", "ops", "--strict"], stdin: input)
        #expect(outcome.status == 65, "\(outcome.stderrText)")
        let replies = records(outcome.stdoutLines).filter { $0["_id"] == 1 }
        #expect(replies.map { $0["type"] } == ["ack"], "\(outcome.stdoutText)")
        #expect(!outcome.stderrText.contains("not sent"), "\(outcome.stderrText)")
        let history = try world.connect(
            "alice", ["-E", "-j", "ops"], stdin: #"{"type":"read_since","channel":"ops","since_ms":0,"_id":2}"# + "\n")
        // Quoted: the bodies, not two characters of a random server id or session handle.
        #expect(history.stdoutText.contains(#""s1""#) && !history.stdoutText.contains(#""s3""#),
                "\(history.stdoutText)")
    }
}
