import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

/// The reconnecting, authenticated link to one server (TOOLS.md "The link", PROTOCOL.md §7.3–7.6), driven by
/// the tool's `EventLoop`. Nothing in it blocks the loop but the resolution of a host name (see
/// `WebSocketLoopDialer`): dials, handshakes and timers are all events, so the tool keeps serving stdin, socket
/// clients and signals meanwhile.
///
/// Life of a connection:
/// 1. Dial (TCP, TLS, upgrade) within `dialTimeoutMs`; check the server id against the other links of the
///    process (§7.5); then `hello` → `challenge` → `auth` (or `register` + `auth` for a first registration)
///    → `established`, within `handshakeTimeoutMs`.
/// 2. On `established` the link writes, in this order: a `ping`, a `join` for every channel in
///    `joinedChannels` (internal: a refusal is reported as `.rejoinFailed` and the channel forgotten), the
///    history checks for posts left unacknowledged by the last drop (each re-sent only if history does not
///    show it), then every request that waited while the link was down, in submission order.
/// 3. `.up` is reported when the server's `server_info` arrives, or — from a server that sends none — the
///    first reply (at the latest the `pong` of that first `ping`): by then the re-joins and queued requests
///    are on the wire but their replies have not been reported. `.rejoinFailed` events therefore follow
///    `.up`, and deliveries that raced the handshake are reported right after it.
/// 4. While up: a `ping` every `pingIntervalMs`; no frame at all within `pongTimeoutMs` of a ping means a
///    half-open link: it is dropped and redialled.
/// 5. On a drop: `.down(reason)`, then the outstanding requests are sorted (TOOLS.md): idempotent ones are
///    re-sent after the reconnect, posts are checked against history, whispers and the rest fail. Then
///    `.retry(attempt, delayMs)` and the backoff of §7.4; `attempt` numbers the waits since the link was last
///    up (or since `start`), from 1. A failed dial is reported as a `.warning` when its reason differs from
///    the previous one's.
/// 6. The server answers every frame in order (§6.3): a `pong` that arrives while a request written before
///    its ping is unanswered means a reply was lost, and the link reconnects rather than mismatch replies.
///
/// Fatal, never retried: `unauthorized` or `malformed_frame` in place of the handshake (`.refused`,
/// `.protocolError`), a `version_mismatch` or undecodable frame during the handshake (`.protocolError`),
/// a second URL for one server (`.sameServer`), retries exhausted (`.unreachable` or `.lost`).
///
/// Events are delivered on the loop's thread. Those caused by `start`, `submit` or `shutdown` arrive on a
/// later turn, never from inside the call.
package final class Link {
    /// Where the link stands.
    enum Phase: Equatable {
        case idle
        case dialing
        case waitingToRetry
        case handshaking
        case connected
        /// `shutdown` sent a WebSocket close and waits briefly for the server's.
        case closing
        case ended
    }

    enum HandshakeStep: Equatable {
        case awaitingChallenge
        case awaitingEstablished
    }

    /// A submitted request, until its one reply is reported.
    struct PendingRequest {
        var tag: RequestTag
        var frame: ProtocolMessage
        /// A post written on a connection that dropped before its reply: history decides whether to re-send it.
        var needsCheck = false
        /// For posts: the path and wall-clock time of the last write.
        var sentAs: SessionPath?
        var sentWallMs: Int64 = 0
    }

    /// What a FIFO entry is waiting for.
    enum Outstanding {
        case request(PendingRequest)
        /// The link's own re-join after a reconnect.
        case rejoin(String)
        /// A page of the history check in `check`.
        case historyCheck
    }

    /// Unacknowledged posts of one channel being checked against its history.
    struct HistoryCheck {
        var pager: HistoryPager
        var sinceMs: Int64
        var posts: [PendingRequest]
    }

    /// How far before a post's local send time its history check starts: clocks of client and server may
    /// differ by this much (PROTOCOL.md §7.8).
    static let reconciliationSlackMs: Int64 = 60_000
    /// How long `shutdown` waits for the server's WebSocket close.
    static let closeTimeoutMs = 1_000

    package let configuration: LinkConfiguration
    /// Held strongly: the deinit still needs it, and the loop refers to the link only weakly.
    let loop: EventLoop
    let onEvent: (LinkEvent) -> Void

    var phase = Phase.idle
    var dialer: WebSocketLoopDialer?
    var connection: LinkConnection?
    var tlsContext: TLSClientContext?
    var handshakeStep = HandshakeStep.awaitingChallenge
    var serverID: String?
    var retryTimer: EventLoop.TimerID?
    var handshakeTimer: EventLoop.TimerID?
    var pingTimer: EventLoop.TimerID?
    var pongDeadline: EventLoop.TimerID?
    var closeTimer: EventLoop.TimerID?

    var nextTag: UInt64 = 1
    var fifo = RequestFIFO<Outstanding>()
    /// Requests not written on the current connection yet, in submission order.
    var queue: [PendingRequest] = []
    var check: HistoryCheck?
    var claims = PostClaims()

    var backoff: Backoff
    var breaker: FlapBreaker
    var failedDials = 0
    var retryAttempt = 0
    var lastAttemptFailure: String?
    var everUp = false
    var hasRegistered = false
    var upSince: MonotonicInstant?
    /// `established` arrived but `.up` is not reported yet (waiting for `server_info`).
    var awaitingUpReport = false
    var earlyDeliveries: [ProtocolMessage] = []
    /// The handle generation of the last dial (defaulted handles, §7.6).
    var dialedGeneration = 1
    /// For each ping in flight, oldest first: how many requests had been written before it (`RequestFIFO`).
    var pingMarks: [Int] = []
    /// The text of the last `error` frame if no other frame followed it: the reason for a drop right after it.
    var lastErrorText: String?

    /// The session path while the link is up.
    package internal(set) var path: SessionPath?
    /// Whether the session is established (from `established` until the connection drops).
    package var isUp: Bool { path != nil }
    /// Channels whose `joined` arrived and that were not left since; re-joined after every reconnect.
    package internal(set) var joinedChannels: Set<String> = []

    /// Submitted requests without a reply yet, written or waiting.
    package var outstandingCount: Int {
        var count = queue.count + (check?.posts.count ?? 0)
        for entry in fifo.outstanding {
            if case .request = entry { count += 1 }
        }
        return count
    }

    /// - Parameters:
    ///   - loop: the tool's loop, on whose thread everything happens.
    ///   - tls: the client TLS settings for a `wss://` URL; made at the first dial when nil (system CAs and
    ///     `CONCLAVE_CA_FILE`).
    ///   - onEvent: called on the loop's thread with everything the link reports.
    package init(
        configuration: LinkConfiguration, loop: EventLoop, tls: TLSClientContext? = nil,
        onEvent: @escaping (LinkEvent) -> Void
    ) {
        self.configuration = configuration
        self.loop = loop
        tlsContext = tls
        self.onEvent = onEvent
        backoff = Backoff(timing: configuration.timing)
        breaker = FlapBreaker(timing: configuration.timing)
    }

    /// A link dropped without `shutdown()` lets go of its socket and timers at once.
    deinit {
        dialer?.cancel()
        connection?.close(politely: false)
        for timer in [retryTimer, handshakeTimer, pingTimer, pongDeadline, closeTimer] {
            if let timer { loop.cancel(timer) }
        }
    }

    /// Starts dialling (on the next turn of the loop); events follow on the loop.
    package func start() {
        guard phase == .idle else { return }
        loop.runSoon { [weak self] in self?.dial() }
    }

    /// Sends `frame`, or queues it while the link is down; its one reply is a `.reply` with the returned tag.
    ///
    /// `frame` is any client-to-server request but `ping` (the link pings on its own; a submitted `ping` is
    /// answered `pong` at once, locally). The `from` of a `channel_msg` or `whisper` is set to the link's
    /// path. A `leave` forgets the channel at once; a `join` counts only once `joined` arrives.
    @discardableResult
    package func submit(_ frame: ProtocolMessage) -> RequestTag {
        let tag = RequestTag(rawValue: nextTag)
        nextTag += 1
        if case .ping = frame {
            emitSoon(.reply(tag, .frame(.pong)))
            return tag
        }
        guard frame.isClientToServer else {
            emitSoon(.reply(tag, .failed("`\(frame.typeName)` is a server-to-client frame; not sent")))
            return tag
        }
        guard phase != .ended && phase != .closing else {
            emitSoon(.reply(tag, .failed("the link to \(configuration.urlText) has ended; not sent")))
            return tag
        }
        if case .leave(let channel) = frame { joinedChannels.remove(channel) }
        let request = PendingRequest(tag: tag, frame: frame)
        if phase == .connected && queue.isEmpty && check == nil {
            writeRequest(request)
        } else {
            queue.append(request)
        }
        return tag
    }

    /// Stops for good: no more reconnects; outstanding requests fail; a WebSocket close is sent and the server's
    /// awaited briefly; then `.ended(.shutdown)`.
    package func shutdown() {
        switch phase {
        case .ended, .closing:
            return
        case .connected, .handshaking:
            cancelSessionTimers()
            path = nil
            failEverything(because: "the link was shut down")
            phase = .closing
            connection?.beginClose()
            closeTimer = loop.schedule(afterMilliseconds: Self.closeTimeoutMs) { [weak self] in
                self?.finishShutdown()
            }
        case .idle, .dialing, .waitingToRetry:
            dialer?.cancel()
            dialer = nil
            cancel(&retryTimer)
            failEverything(because: "the link was shut down")
            phase = .ended
            emitSoon(.ended(LinkEnd(.shutdown, "link to \(configuration.urlText) shut down")))
        }
    }

    func finishShutdown() {
        guard phase == .closing else { return }
        cancel(&closeTimer)
        teardownConnection(politely: false)
        phase = .ended
        // Queued like the failed replies of `shutdown()`, so that it comes after them.
        emitSoon(.ended(LinkEnd(.shutdown, "link to \(configuration.urlText) shut down")))
    }

    // MARK: Events and timers

    func emit(_ event: LinkEvent) {
        onEvent(event)
    }

    /// Emits on a later turn: for events caused by a public call, so that the caller is never re-entered.
    func emitSoon(_ event: LinkEvent) {
        loop.runSoon { [onEvent] in onEvent(event) }
    }

    func cancel(_ timer: inout EventLoop.TimerID?) {
        if let current = timer { loop.cancel(current) }
        timer = nil
    }

    func cancelSessionTimers() {
        cancel(&handshakeTimer)
        cancel(&pingTimer)
        cancel(&pongDeadline)
    }

    /// Stops using the current connection; `politely` sends a WebSocket close first.
    func teardownConnection(politely: Bool) {
        cancelSessionTimers()
        guard let current = connection else { return }
        connection = nil
        current.close(politely: politely)
    }

    /// Fails every request not answered yet (the link is ending): written ones by what may have become of
    /// them, waiting ones as not sent. Reported on a later turn.
    func failEverything(because cause: String) {
        var failures: [(RequestTag, String)] = []
        for entry in fifo.removeAll() {
            guard case .request(let request) = entry else { continue }
            failures.append((request.tag, Self.lostText(for: request.frame)))
        }
        for post in check?.posts ?? [] {
            failures.append((post.tag, RequestRetryPolicy.postLostText))
        }
        check = nil
        for request in queue {
            failures.append((request.tag, request.needsCheck ? RequestRetryPolicy.postLostText : "not sent: \(cause)"))
        }
        queue = []
        for (tag, text) in failures {
            emitSoon(.reply(tag, .failed(text)))
        }
    }

    /// The reply text for a written request whose reply will never come.
    static func lostText(for request: ProtocolMessage) -> String {
        switch RequestRetryPolicy(for: request) {
        case .reconcile: RequestRetryPolicy.postLostText
        case .failUnverifiable: RequestRetryPolicy.whisperLostText
        case .resend, .fail: RequestRetryPolicy.connectionLostText
        }
    }
}
