import ConclaveLink
import ConclaveWire

/// Where a tool's requests go and its deliveries come from (TOOLS.md "Which link"): a link of the tool's own
/// (`OwnLink`, wrapping `Link`) or an attachment to a running `conclave-connect --socket` (`SocketAttachment`).
/// `conclave-connect`, `conclave-send` and `conclave-recv` drive either through this one interface.
///
/// Life of a source, all on the tool's `EventLoop`:
/// ```
/// source.start { event in … }           // dials or attaches; events arrive on later turns
/// let tag = source.submit(request)      // exactly one `.reply(tag, …)` follows
/// source.shutdown()                     // outstanding requests fail; then `.ended`
/// ```
/// Events caused by a call (`start`, `submit`, `shutdown`) never arrive from inside that call.
package protocol LinkSource: AnyObject {
    /// The server URL (own link) or the socket path (attachment), for messages and `_server`.
    var label: String { get }
    /// This link's session path while it is known to be up; nil otherwise (always nil on an attachment until
    /// `conclave-connect` reports a `link_up`).
    var path: SessionPath? { get }
    /// Starts dialling or attaching; `onEvent` gets everything the source reports until `.ended`, which is last.
    func start(onEvent: @escaping (LinkSourceEvent) -> Void)
    /// Sends `request.frame` (queued while the link is down); exactly one `.reply` with the returned tag
    /// follows. `request.correlation` is the caller's to keep: the source uses its own correlation on the wire.
    /// Call only after `start`.
    @discardableResult
    func submit(_ request: ClientRequest) -> RequestTag
    /// Stops for good: requests without a reply fail (`.failed`), the connection is closed, `.ended(.shutdown)`
    /// follows. Calling it again does nothing.
    func shutdown()
}

/// What a `LinkSource` reports, on the event loop's thread. The link events are `LinkEvent`'s; an attachment
/// rebuilds them from `conclave-connect`'s records (`link_up`, `link_down`, `link_retry`, `rejoin_failed`).
package enum LinkSourceEvent: Sendable {
    /// An attachment connected to the socket: requests can be taken from now on (the link behind it may or may
    /// not be up; `conclave-connect` queues them). An own link never reports it.
    case attached(socketPath: String)
    /// The link authenticated. `serverID`/`admin` are nil when the server did not send them.
    case up(path: SessionPath, serverID: String?, admin: Bool?)
    case down(reason: String)
    /// The next dial comes after `delayMs`; `attempt` counts failed dials in a row, from 1.
    case retry(attempt: Int, delayMs: Int)
    /// The one reply to a submitted request.
    case reply(RequestTag, LinkReply)
    /// A `channel_msg` or `whisper` from another session. `isEcho`: the acknowledged post of another client of
    /// the same shared link (`_echo`), which the server does not send back to its own session.
    case delivery(ProtocolMessage, isEcho: Bool)
    /// A joined channel could not be joined again after a reconnect and is forgotten.
    case rejoinFailed(channel: String, error: ProtocolError)
    /// One line for the user's stderr (breaker trips, renames, same-server detection).
    case warning(String)
    /// The source stopped for good; no event follows. An attachment whose `conclave-connect` went away ends
    /// with `.lost` (or `.unreachable` if it never attached).
    case ended(LinkEnd)
}

extension LinkSourceEvent {
    /// The same event of a link of the tool's own.
    package init(_ event: LinkEvent) {
        switch event {
        case let .up(path, serverID, admin): self = .up(path: path, serverID: serverID, admin: admin)
        case let .down(reason): self = .down(reason: reason)
        case let .retry(attempt, delayMs): self = .retry(attempt: attempt, delayMs: delayMs)
        case let .reply(tag, reply): self = .reply(tag, reply)
        case let .delivery(frame): self = .delivery(frame, isEcho: false)
        case let .rejoinFailed(channel, error): self = .rejoinFailed(channel: channel, error: error)
        case let .warning(text): self = .warning(text)
        case let .ended(end): self = .ended(end)
        }
    }
}
