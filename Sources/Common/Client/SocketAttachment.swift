import ConclaveLink
import ConclaveTransport
import ConclaveWire

/// An attachment to a running `conclave-connect --socket PATH` as a `LinkSource` (conclave-connect(1)
/// `--socket`): requests go out as NDJSON input lines with this attachment's own `_id`, and come back as the
/// replies carrying it; every other line is a delivery (`_echo` for another client's post) or a link event.
/// The link, its reconnects and its reconciliation are `conclave-connect`'s.
package final class SocketAttachment: LinkSource, EventLoopHandler {
    private let socketPath: String
    private unowned let loop: EventLoop
    private var stream: TransportStream?
    private var splitter = LineSplitter()
    private var queue = OutboundQueue()
    private var outstanding: Set<RequestTag> = []
    private var nextTag: UInt64 = 1
    private var onEvent: (LinkSourceEvent) -> Void = { _ in }
    private var hasEnded = false

    package init(socketPath: String, loop: EventLoop) {
        self.socketPath = socketPath
        self.loop = loop
    }

    package var label: String { socketPath }
    package private(set) var path: SessionPath?

    package func start(onEvent: @escaping (LinkSourceEvent) -> Void) {
        self.onEvent = onEvent
        do {
            let socket = try Socket.connect(unixPath: socketPath)
            let stream = TransportStream(plain: socket)
            try loop.register(stream.fileDescriptor, interest: .readable, handler: self)
            self.stream = stream
            emitSoon(.attached(socketPath: socketPath))
        } catch {
            end(LinkEnd(.unreachable, "no conclave-connect at \(socketPath): \(error.message)"), failing: "not sent")
        }
    }

    @discardableResult
    package func submit(_ request: ClientRequest) -> RequestTag {
        let tag = RequestTag(rawValue: nextTag)
        nextTag += 1
        guard stream != nil, !hasEnded else {
            emitSoon(.reply(tag, .failed("not sent: the attachment to \(socketPath) has ended")))
            return tag
        }
        var object = request.frame.jsonObject()
        object["_id"] = .integer(Int64(tag.rawValue))
        outstanding.insert(tag)
        queue.append(Array((JSONValue.object(object).serialized() + "\n").utf8))
        flush()
        return tag
    }

    package func shutdown() {
        end(LinkEnd(.shutdown, "attachment to \(socketPath) closed"), failing: "the link was shut down")
    }

    package func handle(_ events: IOEvents, on loop: EventLoop) {
        if events.isReadable || events.isHangUp { readAvailable() }
        if stream != nil && events.isWritable { flush() }
    }

    // MARK: Reading

    private func readAvailable() {
        guard let stream else { return }
        var bytes: [UInt8] = []
        let outcome: IOOutcome
        do {
            outcome = try stream.read(appendingTo: &bytes)
        } catch {
            lost(error.message)
            return
        }
        switch outcome {
        case .transferred:
            for line in splitter.append(bytes) where !hasEnded { take(line) }
        case .wouldBlock:
            break
        case .endOfStream:
            lost("conclave-connect closed \(socketPath)")
        }
    }

    private func take(_ line: LineSplitter.Line) {
        guard case let .text(bytes, _) = line, let object = try? JSONValue(parsing: bytes).objectValue else { return }
        if case let .integer(number)? = object["_id"], outstanding.remove(RequestTag(rawValue: UInt64(number))) != nil {
            onEvent(.reply(RequestTag(rawValue: UInt64(number)), Self.reply(in: object)))
        } else if let event = Self.event(in: object) {
            if case let .up(path, _, _) = event { self.path = path }
            if case .down = event { path = nil }
            onEvent(event)
        }
    }

    /// A reply record: the server's frame, or `.failed` for what `conclave-connect` answered itself because no
    /// reply will come (a local `internal` error) or because it could not read the line.
    private static func reply(in object: JSONObject) -> LinkReply {
        if object["type"] == .string("input_error") {
            return .failed("conclave-connect refused the request: \(object["message"]?.stringValue ?? "bad input")")
        }
        guard let frame = try? AnnotatedFrame(json: object).frame else {
            return .failed("conclave-connect sent an unreadable reply")
        }
        if case let .error(.internal(text)) = frame, object["_local"] == .bool(true) { return .failed(text) }
        return .frame(frame)
    }

    /// A delivery or a link event; nil for anything else (replies to other clients never come here).
    private static func event(in object: JSONObject) -> LinkSourceEvent? {
        switch object["type"]?.stringValue {
        case "link_up"?:
            guard let pathValue = object["path"], let path = try? JSONField.sessionPath(pathValue, "path") else {
                return nil
            }
            return .up(path: path, serverID: object["server_id"]?.stringValue,
                       admin: object["admin"].flatMap { if case let .bool(flag) = $0 { flag } else { nil } })
        case "link_down"?:
            return .down(reason: object["reason"]?.stringValue ?? "")
        case "link_retry"?:
            guard case let .integer(attempt)? = object["attempt"], case let .integer(delay)? = object["delay_ms"]
            else { return nil }
            return .retry(attempt: Int(attempt), delayMs: Int(delay))
        case "rejoin_failed"?:
            guard let channel = object["channel"]?.stringValue else { return nil }
            let error = ProtocolError(displayText: object["error"]?.stringValue ?? "")
            return .rejoinFailed(channel: channel, error: error)
        case "channel_msg"?, "whisper"?:
            guard let frame = try? AnnotatedFrame(json: object).frame else { return nil }
            return .delivery(frame, isEcho: object["_echo"] == .bool(true))
        default:
            return nil
        }
    }

    // MARK: Writing and ending

    private func flush() {
        guard let stream else { return }
        let waitFor: IOInterest?
        do {
            waitFor = try queue.flush(to: stream)
        } catch {
            lost(error.message)
            return
        }
        loop.setInterest(waitFor == nil ? .readable : [.readable, .writable], for: stream.fileDescriptor)
    }

    private func lost(_ reason: String) {
        end(LinkEnd(.lost, reason), failing: "no reply: \(reason); it may or may not have been done")
    }

    /// Fails what is outstanding, closes the connection and reports `end`, once.
    private func end(_ end: LinkEnd, failing text: String) {
        guard !hasEnded else { return }
        hasEnded = true
        if let stream {
            loop.unregister(stream.fileDescriptor)
            stream.close()
            self.stream = nil
        }
        path = nil
        for tag in outstanding.sorted(by: { $0.rawValue < $1.rawValue }) { emitSoon(.reply(tag, .failed(text))) }
        outstanding = []
        emitSoon(.ended(end))
    }

    private func emitSoon(_ event: LinkSourceEvent) {
        loop.runSoon { [weak self] in self?.onEvent(event) }
    }
}

extension ProtocolError {
    /// The error of a `rejoin_failed` record, from its `displayText`.
    init(displayText text: String) {
        let kinds: [(String, (String) -> ProtocolError)] = [
            ("unauthorized: ", ProtocolError.unauthorized), ("not found: ", ProtocolError.notFound),
            ("malformed frame: ", ProtocolError.malformedFrame), ("internal error: ", ProtocolError.internal),
        ]
        let match = kinds.first { text.hasPrefix($0.0) }
        self = match.map { $0.1(String(text.dropFirst($0.0.count))) } ?? .internal(text)
    }
}
