import Glibc
import Testing
@testable import ConclaveLink
@testable import ConclavePOSIX
@testable import ConclaveTransport
@testable import ConclaveWire

/// A real `conclave-serve` for the link's end-to-end tests: durable (`--data-dir`), on a port chosen at the
/// first start and kept across restarts (the link redials the URL it was given).
final class LinkServeProcess {
    private(set) var server: ServeProcess

    static var isBuilt: Bool { access(ToolProcess.binary("conclave-serve"), X_OK) == 0 }

    init() throws {
        server = try ServeProcess(storage: .dataDirectory)
    }

    var url: String { server.url }

    /// SIGKILL, then a new server on the same data directory and port.
    func killAndRestart() throws {
        server.kill()
        // The last `--bind` wins over the `127.0.0.1:0` of a fresh server.
        server = try ServeProcess(restarting: server, arguments: ["--bind", "127.0.0.1:\(server.port)"])
    }

    func send(_ signal: Int32) { server.signal(signal) }
}

/// A link driven in-process on its own loop, recording its events.
final class LinkDriver {
    let loop: EventLoop
    private(set) var events: [LinkEvent] = []
    private(set) var link: Link!

    init(loop: EventLoop, url: String, handle: String, registration: LinkRegistration?,
         signingKey: SigningKey = SecretSeed.generate().signingKey(),
         adjust: (inout LinkTiming) -> Void = { _ in }) throws {
        self.loop = loop
        var timing = LinkTiming()
        timing.backoffBaseMs = 50
        timing.backoffCapMs = 200
        timing.dialTimeoutMs = 1_000
        adjust(&timing)
        let configuration = LinkConfiguration(
            url: try WebSocketURL(parsing: url), urlText: url, handle: .explicit(handle),
            signingKey: signingKey, registration: registration, timing: timing)
        link = Link(configuration: configuration, loop: loop) { [unowned self] event in self.events.append(event) }
        link.start()
    }

    /// Turns the loop until `condition` holds; false if `milliseconds` passed first.
    @discardableResult
    func run(for milliseconds: Int = 10_000, until condition: () -> Bool) throws -> Bool {
        let deadline = MonotonicInstant.after(milliseconds: milliseconds)
        while !condition() {
            if deadline.hasPassed { return false }
            try loop.runOnce(timeoutMilliseconds: 20)
        }
        return true
    }

    var upCount: Int { events.count { if case .up = $0 { true } else { false } } }
    var downCount: Int { events.count { if case .down = $0 { true } else { false } } }

    func reply(to tag: RequestTag) -> LinkReply? {
        for event in events { if case .reply(tag, let reply) = event { return reply } }
        return nil
    }

    /// Submits `frame` and waits for its reply.
    func request(_ frame: ProtocolMessage, within milliseconds: Int = 5_000) throws -> LinkReply? {
        let tag = link.submit(frame)
        try run(for: milliseconds) { reply(to: tag) != nil }
        return reply(to: tag)
    }

    var warnings: [String] { events.compactMap { if case .warning(let text) = $0 { text } else { nil } } }

    var deliveries: [ProtocolMessage] {
        events.compactMap { if case .delivery(let frame) = $0 { frame } else { nil } }
    }
}
