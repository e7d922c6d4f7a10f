#if canImport(Glibc)
import Glibc
#endif
import PostgresFixture
import Testing
@testable import ConclaveWire

/// Three real `conclave-serve` instances, A, B and C, on one new database of the test process's PostgreSQL (issue
/// 16), started together. Every instance is configured alike, as an operator would: alice is server admin, pinned
/// to her key.
final class ServeCluster {
    static let alice = TestIdentity(seedStart: 0)
    static let bob = TestIdentity(seedStart: 100)
    static let carol = TestIdentity(seedStart: 200)
    static let arguments = ["--admin", "alice=\(alice.publicKeyText)"]

    /// The `postgres://` URL the instances share.
    let database: String
    let a: ServeProcess
    let b: ServeProcess
    let c: ServeProcess
    var instances: [ServeProcess] { [a, b, c] }

    init() throws {
        database = try TemporaryPostgres.shared().makeDatabase()
        let servers = try ServeProcess.several(3, Self.arguments, storage: .postgres(database))
        (a, b, c) = (servers[0], servers[1], servers[2])
    }

    /// Every instance's stderr, for the message of a failed expectation (the sandboxes go with the test).
    var logs: String {
        zip(["A", "B", "C"], instances).map { "--- instance \($0):\n\($1.log)" }.joined(separator: "\n")
    }
}

extension ServeClient {
    /// Joins `channel`; throws on any reply but `joined`.
    func join(_ channel: String) throws {
        let reply = try request(.join(channel: channel, token: nil))
        guard reply == .joined(channel: channel) else {
            throw ToolProcessError(description: "join \(channel): expected joined, got \(reply)")
        }
    }

    /// Posts a plain `body` to `channel`; the reply.
    func post(_ body: String, to channel: String) throws -> ProtocolMessage {
        try request(.channelMsg(channel: channel, from: try #require(path), payload: .plain(body)))
    }

    /// Sends a post without waiting for its ack (to pipeline several).
    func sendPost(_ body: String, to channel: String) throws {
        try send(.channelMsg(channel: channel, from: try #require(path), payload: .plain(body)))
    }

    /// The next `count` frames, each within 5 s.
    func next(_ count: Int) throws -> [ProtocolMessage] {
        try (0..<count).map { _ in try next() }
    }

    /// The channel's retained history (one page: at most 500 rows); throws on any other reply.
    func history(_ channel: String) throws -> [HistoryMessage] {
        let reply = try request(.readSince(channel: channel, sinceMs: 0))
        guard case let .history(replyChannel, messages) = reply, replyChannel == channel else {
            throw ToolProcessError(description: "read_since \(channel): expected history, got \(reply)")
        }
        return messages
    }

    /// The sessions `who` lists (everywhere, or subscribed to `channel`); throws on any other reply.
    func who(_ channel: String? = nil) throws -> [SessionPath] {
        let reply = try request(.who(channel: channel))
        guard case let .presence(replyChannel, sessions) = reply, replyChannel == channel else {
            throw ToolProcessError(description: "who: expected presence, got \(reply)")
        }
        return sessions
    }
}

/// The deliveries that `history` of `channel` stands for, in its order.
func deliveries(of history: [HistoryMessage], in channel: String) -> [ProtocolMessage] {
    history.map { .channelMsg(channel: channel, from: $0.from, payload: $0.payload) }
}

/// Paths in the order `who` lists them (by user, machine, then session).
func whoOrder(_ paths: [SessionPath?]) -> [SessionPath] {
    paths.compactMap { $0 }.sorted { ($0.user, $0.machine, $0.session) < ($1.user, $1.machine, $1.session) }
}

/// Checks `condition` every 100 ms until it holds or `seconds` have passed; whether it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Deadline.after(seconds: seconds)
    while true {
        if try condition() { return true }
        guard !deadline.hasPassed else { return false }
        usleep(100_000)
    }
}
