#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclaveLink
import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

/// The running `conclave-send` (TOOLS.md "conclave-send"): messages or requests from the command line or stdin,
/// pipelined over a `LinkSource`, each channel joined before its first post; the status says whether every one
/// was acknowledged.
package final class SendSession {
    /// What a request is, for its reply.
    private enum Kind {
        /// A message of the command line or of a stdin line (no reply printed).
        case message
        /// A `--json` request; its reply is printed with its `_id`.
        case request(correlation: JSONValue?)
        /// The join before the first post to a channel; its reply is not printed.
        case autoJoin(channel: String)
    }

    private struct Pending {
        var kind: Kind
        var frame: ProtocolMessage
        /// What names it in a diagnostic: `stdin line 3`, `the message`.
        var label: String
    }

    private let settings: SendSettings
    private let permissions: PermissionPolicy
    private let diagnostics: Diagnostics
    private let loop: EventLoop
    private let source: any LinkSource
    private let stdout: RecordWriter
    private let formatter: RecordFormatter
    /// The `from` of posts and whispers before the link knows its path (the server stamps its own anyway).
    private let provisionalPath: SessionPath
    private var input: InputReader?
    private var stopControl: StopControl!

    private var pending: [RequestTag: Pending] = [:]
    private var backlog = InputBacklog<LineSplitter.Line>()
    private var isInputPaused = false
    /// Channels a join was sent for; a refused one stays, so its posts are not preceded by a join each.
    private var joined: Set<String> = []
    private var refusedJoins: Set<String> = []
    /// `-s`: the lines read so far.
    private var wholeInput: [[UInt8]] = []
    private var tally = OutcomeTally()
    private var hasBeenUp = false
    private var unacknowledged = 0
    private var exitStatus: ExitStatus?

    package init(
        settings: SendSettings, source: any LinkSource, loop: EventLoop, permissions: PermissionPolicy,
        provisionalPath: SessionPath, diagnostics: Diagnostics, stdout: RecordWriter = RecordWriter()
    ) {
        self.settings = settings
        self.source = source
        self.loop = loop
        self.permissions = permissions
        self.provisionalPath = provisionalPath
        self.diagnostics = diagnostics
        self.stdout = stdout
        formatter = RecordFormatter(server: source.label)
        stopControl = StopControl(
            loop: loop, source: source, outstanding: { [unowned self] in pending.count + backlog.count },
            onStopReading: { [unowned self] in input?.stop() })
    }

    /// Runs until every message is answered (or `-W` passes), a signal, or a fatal end; returns the status.
    package func run() throws(ClientError) -> ExitStatus {
        let signals: StopSignals
        do {
            signals = try StopSignals { [unowned self] _ in
                backlog.removeAll()
                stopControl.begin(.signal, grace: StopControl.signalGrace)
            }
            try signals.register(on: loop)
        } catch {
            throw ClientError(.system, error.message)
        }
        if !settings.printsOnly { source.start { [unowned self] event in handle(event) } }
        if case .requests = settings.target {
            OutputWatcher { [unowned self] in stopControl.begin(.outputClosed) }.start(on: loop)
        }
        if case let .words(text) = settings.input {
            submitMessage(text, label: "the message")
            endOfInput()
        } else {
            let reader = InputReader(
                .standardInput, loop: loop, onLine: { [unowned self] line in take(line) },
                onEnd: { [unowned self] in endOfInput() })
            input = reader
            try reader.start()
        }
        do {
            try loop.run()
        } catch {
            throw ClientError(.system, error.message)
        }
        return exitStatus ?? .failure
    }

    // MARK: Input

    private func take(_ line: LineSplitter.Line) {
        guard stopControl.reason == nil else { return }
        if case .whole = settings.input {
            guard case let .text(bytes, _) = line else { return badInput(InputLine.overlongLineError(number: 0)) }
            wholeInput.append(bytes)
            return
        }
        guard let admitted = backlog.admit(line, outstanding: pending.count) else {
            if !isInputPaused {
                isInputPaused = true
                input?.pause()
            }
            return
        }
        process(admitted)
    }

    private func process(_ line: LineSplitter.Line) {
        let number: Int
        let bytes: [UInt8]
        switch line {
        case let .overlong(lineNumber):
            return badInput(InputLine.overlongLineError(number: lineNumber))
        case let .text(text, lineNumber):
            number = lineNumber
            bytes = text
        }
        guard case .requests = settings.target else {
            guard !bytes.isEmpty || settings.sendsEmptyLines else { return }
            guard let text = String(validating: bytes, as: UTF8.self) else {
                return badInput(InputLineError(line: number, message: "not UTF-8 text; not sent"))
            }
            return submitMessage(text, label: "stdin line \(number)", number: number)
        }
        switch InputLine.parse(bytes, number: number, defaultFrom: source.path ?? provisionalPath) {
        case nil:
            break
        case let .failure(error)?:
            badInput(error)
        case let .success(request)?:
            submit(request.frame, kind: .request(correlation: request.correlation), label: "stdin line \(number)")
        }
    }

    private func endOfInput() {
        if case .whole = settings.input, !wholeInput.isEmpty || settings.sendsEmptyLines {
            let bytes = Array(wholeInput.joined(separator: [UInt8(ascii: "\n")]))
            wholeInput = []
            if let text = String(validating: bytes, as: UTF8.self) {
                submitMessage(text, label: "stdin")
            } else {
                badInput(InputLineError(line: 1, message: "stdin is not UTF-8 text; not sent"))
            }
        }
        if settings.printsOnly {
            exitStatus = tally.status(end: LinkEnd(.shutdown, "printed"), unanswered: 0, hasBeenUp: true)
            loop.stop()
            return
        }
        stopControl.begin(.endOfInput, grace: .milliseconds(settings.waitMs))
    }

    private func badInput(_ error: InputLineError) {
        tally.recordBadInput()
        diagnostics.report("stdin \(error.description)")
        if case .requests = settings.target {
            emit(formatter.event(.inputError(error), receivedAtMs: WallClock.nowMilliseconds()))
        }
        if settings.strict { stopControl.begin(.fatal(.dataError), grace: .milliseconds(settings.waitMs)) }
    }

    // MARK: Requests

    private func submitMessage(_ text: String, label: String, number: Int = 0) {
        let from = source.path ?? provisionalPath
        let frame: ProtocolMessage
        switch settings.target {
        case let .channel(channel): frame = .channelMsg(channel: channel, from: from, payload: .plain(text))
        case let .whisper(path): frame = .whisper(from: from, target: path, payload: .plain(text))
        case .requests: return
        }
        let size = frame.encoded().count
        guard size <= InputLine.maximumFrameByteCount else {
            return badInput(InputLineError(
                line: number, message: "the message is \(size) bytes, over the 16 MiB limit; not sent"))
        }
        submit(frame, kind: .message, label: label)
    }

    private func submit(_ frame: ProtocolMessage, kind: Kind, label: String) {
        if settings.printsOnly { return printInstead(frame, kind: kind) }
        if settings.agent, let refusal = permissions.agentRefusal(of: frame) {
            tally.recordRefusal(refusal)
            diagnostics.report("\(label): \(refusal.displayText)")
            if case let .request(correlation) = kind {
                let now = WallClock.nowMilliseconds()
                emit(formatter.localError(refusal, correlation: correlation, receivedAtMs: now))
            }
            return
        }
        switch frame {
        case let .channelMsg(channel, _, _) where !joined.contains(channel):
            // TOOLS.md: every channel is joined before the first post there, in every mode.
            joined.insert(channel)
            let join = ProtocolMessage.join(channel: channel, token: nil)
            pending[source.submit(ClientRequest(frame: join))] = Pending(
                kind: .autoJoin(channel: channel), frame: join, label: "join \(channel)")
        case let .join(channel, _):
            joined.insert(channel)
        case let .leave(channel):
            joined.remove(channel)
        default:
            break
        }
        pending[source.submit(ClientRequest(frame: frame))] = Pending(kind: kind, frame: frame, label: label)
    }

    /// `--print`: the input line that would be sent, for a `conclave-connect` stdin or FIFO.
    private func printInstead(_ frame: ProtocolMessage, kind: Kind) {
        var object: JSONObject
        switch frame {
        case let .channelMsg(channel, _, .plain(body)) where !isRequests:
            object = ["channel": .string(channel), "body": .string(body)]
        case let .whisper(_, target, .plain(body)) where !isRequests:
            object = ["to": .string(target.text), "body": .string(body)]
        default:
            object = frame.jsonObject()
        }
        if case let .request(correlation?) = kind { object["_id"] = correlation }
        emit(object)
    }

    private var isRequests: Bool { settings.target == .requests }

    // MARK: Link events

    private func handle(_ event: LinkSourceEvent) {
        switch event {
        case .attached:
            hasBeenUp = true
        case let .up(path, _, _):
            hasBeenUp = true
            diagnostics.detail("link up as \(path) on \(source.label)")
        case let .down(reason):
            diagnostics.detail("link down: \(reason)")
        case let .retry(attempt, delayMs):
            diagnostics.detail("dial \(attempt) failed; next in \(delayMs) ms")
        case let .reply(tag, reply):
            guard let request = pending.removeValue(forKey: tag) else { return }
            answer(request, with: reply)
            while stopControl.reason == nil || stopControl.reason == .endOfInput,
                  let next = backlog.next(outstanding: pending.count)
            {
                process(next)
            }
            if isInputPaused && backlog.allowsResuming(outstanding: pending.count) {
                isInputPaused = false
                input?.resume()
            }
            stopControl.replyArrived()
        case .delivery:
            break
        case let .rejoinFailed(channel, error):
            refusedJoins.insert(channel)
            tally.recordRefusal(error)
            diagnostics.report("cannot join \(channel) again: \(error.displayText)")
        case let .warning(text):
            diagnostics.report(text)
        case let .ended(end):
            finish(end)
        }
    }

    private func answer(_ request: Pending, with reply: LinkReply) {
        if case let .request(correlation) = request.kind {
            let now = WallClock.nowMilliseconds()
            switch reply {
            case let .frame(frame): emit(formatter.reply(frame, correlation: correlation, receivedAtMs: now))
            case let .failed(text):
                emit(formatter.localError(.internal(text), correlation: correlation, receivedAtMs: now))
            }
        }
        switch reply {
        case .frame(.error(let error)):
            if case let .autoJoin(channel) = request.kind {
                tally.recordRefusal(error)
                refusedJoins.insert(channel)
                diagnostics.report("cannot join \(channel): \(error.displayText)")
            } else if case let .channelMsg(channel, _, _) = request.frame, refusedJoins.contains(channel) {
                // A refused join fails its posts (TOOLS.md); it was counted and reported once already.
                tally.recordRefusal(.notFound(channel))
            } else {
                tally.recordRefusal(error)
                diagnostics.report("\(request.label): \(request.frame.typeName) refused: \(error.displayText)")
            }
        case let .failed(text):
            unacknowledged += 1
            // Once stopping, one line at the end counts them instead.
            if stopControl.reason == nil { diagnostics.report("\(request.label): \(text)") }
        case .frame:
            break
        }
    }

    private func finish(_ end: LinkEnd) {
        let status: ExitStatus
        if end.code != .shutdown {
            diagnostics.report(end.message)
            status = end.exitStatus
        } else if stopControl.reason == .outputClosed {
            status = .success
        } else {
            if unacknowledged > 0 {
                diagnostics.report(hasBeenUp
                    ? "\(unacknowledged) not acknowledged by \(source.label)"
                    : "no link to \(source.label) within \(settings.waitMs / 1000) s; nothing sent")
            }
            if case let .fatal(fatal)? = stopControl.reason {
                status = fatal
            } else if stopControl.reason == .signal && unacknowledged > 0 {
                status = .linkLost
            } else {
                status = tally.status(end: end, unanswered: unacknowledged, hasBeenUp: hasBeenUp)
            }
        }
        exitStatus = status
        loop.stop()
    }

    // MARK: Output

    private func emit(_ object: JSONObject) {
        guard stopControl.reason != .outputClosed else { return }
        do {
            try stdout.write(JSONValue.object(object).serialized())
        } catch {
            if error.code != .outputClosed { diagnostics.report(error.description) }
            stopControl.begin(error.code == .outputClosed ? .outputClosed : .fatal(error.exitStatus))
        }
    }
}
