/// The reconnecting, authenticated link to one server (TOOLS.md "The link", PROTOCOL.md §7.3–7.6).
public final class Link {
    public let configuration: LinkConfiguration
    private unowned let loop: EventLoop
    private let onEvent: (LinkEvent) -> Void
    private var nextTag: UInt64 = 1

    /// The session path while the link is up.
    public private(set) var path: SessionPath?
    /// Whether the session is established.
    public var isUp: Bool { path != nil }
    /// Channels whose `joined` arrived; re-joined after every reconnect.
    public private(set) var joinedChannels: Set<String> = []
    /// Submitted requests without a reply yet.
    public private(set) var outstandingCount = 0

    public init(configuration: LinkConfiguration, loop: EventLoop, onEvent: @escaping (LinkEvent) -> Void) {
        self.configuration = configuration
        self.loop = loop
        self.onEvent = onEvent
    }

    /// Starts dialling; events arrive on the loop.
    public func start() {}

    /// Sends `frame` (any client-to-server request but `ping`), or queues it while the link is down.
    @discardableResult
    public func submit(_ frame: ProtocolMessage) -> RequestTag {
        let tag = RequestTag(rawValue: nextTag)
        nextTag += 1
        return tag
    }

    /// Stops for good: no more reconnects, a WebSocket close, outstanding requests fail; then `.ended(.shutdown)`.
    public func shutdown() {
        loop.runSoon { [onEvent] in onEvent(.ended(LinkEnd(.shutdown, "link shut down"))) }
    }
}
