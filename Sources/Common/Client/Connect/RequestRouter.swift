import ConclaveLink
import ConclaveWire

/// Where a record goes: one client, or everyone (stdout and every socket client), or everyone but one.
package enum ConnectAudience: Hashable, Sendable {
    case client(ConnectClientID)
    case everyone
    case everyoneExcept(ConnectClientID)

    /// Whether `client` (`.local` meaning stdout and the FIFO log) receives records for this audience.
    package func includes(_ client: ConnectClientID) -> Bool {
        switch self {
        case let .client(target): target == client
        case .everyone: true
        case let .everyoneExcept(excluded): excluded != client
        }
    }
}

/// One record and who gets it.
package struct RoutedRecord: Hashable, Sendable {
    package var audience: ConnectAudience
    package var object: JSONObject

    package init(audience: ConnectAudience, object: JSONObject) {
        self.audience = audience
        self.object = object
    }
}

/// A request submitted to the link and not yet answered.
package struct RoutedRequest: Hashable, Sendable {
    package enum Origin: Hashable, Sendable {
        /// Asked by a client; the reply goes to it alone.
        case client(ConnectClientID)
        /// Sent by `conclave-connect` itself (the `leave` after a channel's last holder went away); the reply
        /// is not printed.
        case bookkeeping
    }

    package var origin: Origin
    package var request: ClientRequest
    /// Where the request came from, for a diagnostic naming it (`stdin line 3`, `-j ops`); nil when unnamed.
    package var label: String?

    package init(origin: Origin, request: ClientRequest, label: String? = nil) {
        self.origin = origin
        self.request = request
        self.label = label
    }
}

/// Matches the link's replies to the clients that asked (TOOLS.md "--socket": replies go only to the client
/// that asked, and an `_id` need be unique only within one client) and turns each reply into records.
package struct RequestRouter: Sendable {
    private var pending: [RequestTag: RoutedRequest] = [:]

    package init() {}

    /// Requests without a reply yet, bookkeeping included.
    package var outstandingCount: Int { pending.count }

    /// Requests of `client` without a reply yet.
    package func outstandingCount(of client: ConnectClientID) -> Int {
        pending.values.count { $0.origin == .client(client) }
    }

    /// The request `tag` answers, while it is outstanding.
    package func request(for tag: RequestTag) -> RoutedRequest? { pending[tag] }

    package mutating func record(_ tag: RequestTag, _ request: RoutedRequest) {
        pending[tag] = request
    }

    /// `client` went away: its outstanding requests become bookkeeping, whose replies are dropped.
    package mutating func removeClient(_ client: ConnectClientID) {
        for (tag, request) in pending where request.origin == .client(client) {
            pending[tag]?.origin = .bookkeeping
        }
    }

    /// The records a reply makes (none when its client went away or it answered bookkeeping), and its effect on
    /// `ledger` (a refused join is withdrawn). `ownPath` is this link's session path, the `from` of an echo.
    package mutating func route(
        _ tag: RequestTag, reply: LinkReply, ownPath: SessionPath?, formatter: RecordFormatter,
        permissions: PermissionPolicy, ledger: inout JoinLedger, receivedAtMs: Int64
    ) -> [RoutedRecord] {
        guard let request = pending.removeValue(forKey: tag) else { return [] }
        let frame = request.request.frame
        let succeeded: Bool
        if case let .frame(reply) = reply, reply.typeName != "error" { succeeded = true } else { succeeded = false }
        guard case let .client(client) = request.origin else { return [] }
        if case let .join(channel, _) = frame, !succeeded { ledger.recordJoinFailed(channel, by: client) }

        let correlation = request.request.correlation
        var records: [RoutedRecord] = []
        switch reply {
        case let .frame(answer):
            records.append(RoutedRecord(
                audience: .client(client),
                object: formatter.reply(answer, correlation: correlation, receivedAtMs: receivedAtMs)))
        case let .failed(message):
            records.append(RoutedRecord(
                audience: .client(client),
                object: formatter.localError(.internal(message), correlation: correlation, receivedAtMs: receivedAtMs)))
        }
        // The server does not echo a session's own posts; the other clients of this link see them this way.
        if succeeded, case let .channelMsg(channel, from, payload) = frame,
           let level = permissions.level(of: frame), level != .mute
        {
            let echoed = ProtocolMessage.channelMsg(channel: channel, from: ownPath ?? from, payload: payload)
            records.append(RoutedRecord(
                audience: .everyoneExcept(client),
                object: formatter.echo(echoed, permission: level, receivedAtMs: receivedAtMs)))
        }
        return records
    }
}
