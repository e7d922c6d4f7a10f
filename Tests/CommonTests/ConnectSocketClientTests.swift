#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveClient
@testable import ConclavePOSIX
@testable import ConclaveTransport

/// A `--socket` client on the event loop: its lines are read, its output is queued without blocking, and one
/// that does not read is dropped instead of stalling the link.
@Suite struct ConnectSocketClientTests {
    /// A connected pair of Unix stream sockets: the tool's end (non-blocking) and the peer's.
    private func socketPair() throws -> (tool: Socket, peer: Int32) {
        var fds: [Int32] = [0, 0]
        try #require(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        return (Socket(adopting: fds[0], label: "test"), fds[1])
    }

    private func turn(_ loop: EventLoop, until done: () -> Bool) throws {
        let deadline = MonotonicInstant.after(milliseconds: 5_000)
        while !done() && !deadline.hasPassed { try loop.runOnce(timeoutMilliseconds: 20) }
    }

    @Test func readsLinesAndAHalfCloseStillLetsRepliesOut() throws {
        let loop = try EventLoop()
        let (tool, peer) = try socketPair()
        defer { close(peer) }
        var lines: [String] = []
        var gone: String?
        let client = try SocketClient(
            id: ConnectClientID(rawValue: 1), socket: tool, loop: loop,
            onLine: { _, line in
                if case let .text(bytes, _) = line { lines.append(String(decoding: bytes, as: UTF8.self)) }
            },
            onGone: { _, reason in gone = reason })
        let input = Array("one\ntwo\nlast-without-newline".utf8)
        #expect(write(peer, input, input.count) == input.count)
        shutdown(peer, Int32(SHUT_WR))
        try turn(loop) { lines.count == 3 }
        #expect(lines == ["one", "two", "last-without-newline"])
        #expect(client.send(Array("reply\n".utf8)))
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(read(peer, &buffer, buffer.count) == 6)
        #expect(gone == nil)
        close(peer)
        try turn(loop) { gone != nil }
        #expect(gone == "closed the connection")
    }

    @Test func aClientThatDoesNotReadIsDroppedAtTheBound() throws {
        let loop = try EventLoop()
        let (tool, peer) = try socketPair()
        defer { close(peer) }
        var gone: String?
        let client = try SocketClient(
            id: ConnectClientID(rawValue: 2), socket: tool, loop: loop, onLine: { _, _ in },
            onGone: { _, reason in gone = reason })
        let record = [UInt8](repeating: UInt8(ascii: "x"), count: 1 << 20) + [UInt8(ascii: "\n")]
        var accepted = 0
        while accepted < 1_000, client.send(record) { accepted += 1 }
        #expect(accepted >= SocketClient.maximumQueuedByteCount / record.count - 1)
        #expect(client.isClosed)
        #expect(gone?.contains("does not read its output") == true)
    }
}
