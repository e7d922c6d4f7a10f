#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclaveIdentity
import ConclaveLink
import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

/// The running `conclave-connect`: one link, and the inputs and outputs that share it (stdin and stdout, the
/// `--fifo` pair, the `--socket` clients), all on one event loop (TOOLS.md "conclave-connect").
package final class ConnectSession {
    /// An input line read while too many requests were outstanding, kept in order until replies catch up.
    private struct WaitingLine {
        var client: ConnectClientID
        var source: String
        var line: LineSplitter.Line
    }

    /// The request of a `-j` flag or an input line, with what names it in a diagnostic.
    private struct LabelledRequest {
        var request: ClientRequest
        var label: String
    }

    private let settings: ConnectSettings
    private let permissions: PermissionPolicy
    private let configPath: String
    private let diagnostics: Diagnostics
    private let loop: EventLoop
    private let stdout: RecordWriter
    private let formatter: RecordFormatter
    /// The `from` of posts and whispers read before the link knows its path (the server stamps its own).
    private let provisionalPath: SessionPath
    private let source: any LinkSource

    private var router = RequestRouter()
    private var ledger = JoinLedger()
    private var clients: [ConnectClientID: SocketClient] = [:]
    private var nextClientNumber = 1
    private var listener: UnixListeningSocket?
    private var inputs: [InputReader] = []
    private var recordLog: RecordLog?
    private var backlog = InputBacklog<WaitingLine>()
    private var isInputPaused = false
    private var stopControl: StopControl!

    private var hasBeenUp = false
    private var hasRecordedRegistration = false
    private var isStandardInputAtEnd = false
    private var tally = OutcomeTally()
    private var exitStatus: ExitStatus?

    private var stop: StopControl.Reason? { stopControl.reason }

    /// `config` is `config.toml` as read at start (`configPath`); `stdout` takes the records.
    package init(
        settings: ConnectSettings, config: ConclaveConfig, configPath: String, signingKey: SigningKey,
        diagnostics: Diagnostics, stdout: RecordWriter = RecordWriter()
    ) throws(ClientError) {
        self.settings = settings
        self.configPath = configPath
        self.diagnostics = diagnostics
        self.stdout = stdout
        permissions = PermissionPolicy(config: config, server: settings.urlText, configPath: configPath)
        formatter = RecordFormatter(server: settings.urlText)
        let registered = config.registration(url: settings.urlText)
        let handle: String = switch settings.handle {
        case let .explicit(name): name
        case let .defaulted(base): base
        }
        provisionalPath = SessionPath(
            user: settings.registration?.username ?? registered?.username ?? "unknown",
            machine: settings.registration?.machine ?? registered?.machine ?? "unknown", session: handle)
        do {
            loop = try EventLoop()
        } catch {
            throw ClientError(.system, error.message)
        }
        source = OwnLink(
            configuration: LinkConfiguration(
                url: settings.url, urlText: settings.urlText, handle: settings.handle, signingKey: signingKey,
                registration: settings.registration, timing: settings.timing, retryLimit: settings.retryLimit,
                reconnects: settings.reconnects),
            loop: loop)
        stopControl = StopControl(
            loop: loop, source: source, outstanding: { [unowned self] in router.outstandingCount },
            onStopReading: { [unowned self] in stopReading() })
    }

    /// Runs until a signal, `-E`'s end, or a fatal end of the link; returns the exit status.
    package func run() throws(ClientError) -> ExitStatus {
        let signals: StopSignals
        do {
            signals = try StopSignals { [unowned self] _ in self.beginStop(.signal) }
            try signals.register(on: loop)
        } catch {
            throw ClientError(.system, error.message)
        }
        defer { closeListener() }
        try openInputsAndOutputs()
        source.start { [unowned self] event in self.handle(event) }
        for channel in settings.joins {
            submit(ClientRequest(frame: .join(channel: channel, token: nil)), from: .local, label: "-j \(channel)")
        }
        do {
            try loop.run()
        } catch {
            throw ClientError(.system, error.message)
        }
        return exitStatus ?? .failure
    }

    private func openInputsAndOutputs() throws(ClientError) {
        if let directory = settings.fifoDirectory {
            do {
                try FilePaths.createDirectories(directory)
            } catch {
                throw ClientError(.fifo, "cannot create \(directory): \(error.reason)")
            }
            recordLog = try RecordLog(path: FilePaths.join(directory, "out"))
            let fifo = InputReader(.fifo(path: FilePaths.join(directory, "in")), loop: loop) { [unowned self] line in
                self.handleLine(line, from: .local, source: "fifo")
            }
            try fifo.start()
            inputs.append(fifo)
        }
        if let path = settings.socketPath {
            let watch = ReadinessCallback { [unowned self] in self.acceptClients() }
            do {
                let listener = try UnixListeningSocket(path: path)
                try loop.register(listener.fileDescriptor, interest: .readable, handler: watch)
                self.listener = listener
            } catch {
                throw ClientError(.socket, error.message)
            }
            diagnostics.detail("serving the link on \(path)")
        }
        let standardInput = InputReader(
            .standardInput, loop: loop,
            onLine: { [unowned self] line in self.handleLine(line, from: .local, source: "stdin") },
            onEnd: { [unowned self] in
                self.isStandardInputAtEnd = true
                self.checkProgress()
            })
        try standardInput.start()
        inputs.append(standardInput)
        // Registered handlers live as long as their registration on the loop.
        OutputWatcher { [unowned self] in self.beginStop(.outputClosed) }.start(on: loop)
    }

    // MARK: Input

    /// New clients of the `--socket` listener.
    private func acceptClients() {
        while stop == nil, let socket = nextSocketClient() {
            let id = ConnectClientID(rawValue: nextClientNumber)
            nextClientNumber += 1
            do {
                let client = try SocketClient(
                    id: id, socket: socket, loop: loop,
                    onLine: { [unowned self] client, line in self.handleLine(line, from: client.id, source: "") },
                    onGone: { [unowned self] client, reason in self.clientGone(client.id, reason: reason) })
                if isInputPaused { client.pauseReading() }
                clients[id] = client
                diagnostics.detail("\(id) connected")
            } catch {
                diagnostics.report("cannot serve a socket client: \(error.message)")
            }
        }
    }

    /// Stops accepting `--socket` clients; the listener, going away, closes its socket and removes its file.
    private func closeListener() {
        guard let listener else { return }
        loop.unregister(listener.fileDescriptor)
        self.listener = nil
    }

    /// The next waiting `--socket` client; nil when none waits or accepting failed (reported).
    private func nextSocketClient() -> Socket? {
        do {
            return try listener?.accept()
        } catch {
            diagnostics.report(error.message)
            return nil
        }
    }

    private func handleLine(_ line: LineSplitter.Line, from client: ConnectClientID, source: String) {
        guard stop == nil else { return }
        let waiting = WaitingLine(client: client, source: source, line: line)
        guard let admitted = backlog.admit(waiting, outstanding: router.outstandingCount) else {
            pauseInputs()
            return
        }
        process(admitted.line, from: admitted.client, source: admitted.source)
    }

    private func process(_ line: LineSplitter.Line, from client: ConnectClientID, source: String) {
        let parsed: Result<ClientRequest, InputLineError>
        let number: Int
        switch line {
        case let .overlong(lineNumber):
            number = lineNumber
            parsed = .failure(InputLine.overlongLineError(number: number))
        case let .text(bytes, lineNumber):
            number = lineNumber
            guard let result = InputLine.parse(bytes, number: number, defaultFrom: self.source.path ?? provisionalPath)
            else { return }
            parsed = result
        }
        switch parsed {
        case let .success(request):
            submit(request, from: client, label: "\(client.isLocal ? source : client.description) line \(number)")
        case let .failure(error):
            tally.recordBadInput()
            diagnostics.report("\(client.isLocal ? source : client.description) \(error.description)")
            emit(formatter.event(.inputError(error), receivedAtMs: WallClock.nowMilliseconds()), to: .client(client))
            // What was read before the bad line is still sent and answered (TOOLS.md "Bad input").
            if settings.strict { stopControl.begin(.fatal(.dataError), grace: .unbounded) }
        }
    }

    private func submit(_ request: ClientRequest, from client: ConnectClientID, label: String) {
        let frame = request.frame
        if settings.agent, let refusal = permissions.agentRefusal(of: frame) {
            tally.recordRefusal(refusal)
            diagnostics.report(refusal.displayText)
            emit(formatter.localError(refusal, correlation: request.correlation,
                                      receivedAtMs: WallClock.nowMilliseconds()), to: .client(client))
            return
        }
        switch frame {
        case .ping:
            // The link's keepalive is its own; a client's ping is answered here.
            answerLocally(.pong, to: request, from: client)
            return
        case let .join(channel, _):
            ledger.recordJoinRequested(channel, by: client)
        case let .leave(channel):
            if ledger.leave(channel, by: client) == .answerLocally {
                answerLocally(.ack(detail: channel), to: request, from: client)
                return
            }
        default:
            break
        }
        router.record(
            source.submit(request), RoutedRequest(origin: .client(client), request: request, label: label))
    }

    private func answerLocally(_ frame: ProtocolMessage, to request: ClientRequest, from client: ConnectClientID) {
        var object = formatter.reply(frame, correlation: request.correlation, receivedAtMs: WallClock.nowMilliseconds())
        object["_local"] = true
        emit(object, to: .client(client))
    }

    private func clientGone(_ id: ConnectClientID, reason: String) {
        clients[id] = nil
        backlog.removeAll { $0.client == id }
        diagnostics.detail("\(id) \(reason)")
        router.removeClient(id)
        for channel in ledger.removeClient(id) {
            let request = ClientRequest(frame: .leave(channel: channel))
            router.record(source.submit(request), RoutedRequest(origin: .bookkeeping, request: request))
        }
    }

    /// Takes up the lines that waited, as far as replies allow; once none wait and the replies have caught up
    /// by half, reading resumes.
    private func processWaitingLines() {
        while stop == nil, let next = backlog.next(outstanding: router.outstandingCount) {
            process(next.line, from: next.client, source: next.source)
        }
        if isInputPaused && backlog.allowsResuming(outstanding: router.outstandingCount) { setInputPaused(false) }
    }

    private func pauseInputs() {
        if !isInputPaused { setInputPaused(true) }
    }

    private func setInputPaused(_ paused: Bool) {
        isInputPaused = paused
        diagnostics.detail(paused ? "\(router.outstandingCount) requests unanswered: input waits" : "input resumes")
        for input in inputs {
            if paused { input.pause() } else { input.resume() }
        }
        for client in clients.values {
            if paused { client.pauseReading() } else { client.resumeReading() }
        }
    }

    // MARK: Link events

    private func handle(_ event: LinkSourceEvent) {
        let now = WallClock.nowMilliseconds()
        switch event {
        case .attached:
            // Only an attachment reports it; conclave-connect holds the link itself.
            break
        case let .up(path, serverID, admin):
            hasBeenUp = true
            diagnostics.detail("link up as \(path) on \(settings.urlText)")
            recordRegistration()
            let up = LocalEvent.linkUp(path: path, serverID: serverID, admin: admin)
            emit(formatter.event(up, receivedAtMs: now), to: .everyone)
        case let .down(reason):
            if stop == nil { diagnostics.report("link down: \(reason)") }
            emit(formatter.event(.linkDown(reason: reason), receivedAtMs: now), to: .everyone)
        case let .retry(attempt, delayMs):
            diagnostics.detail("dial \(attempt) failed; next in \(delayMs) ms")
            emit(formatter.event(.linkRetry(attempt: attempt, delayMs: delayMs), receivedAtMs: now), to: .everyone)
        case let .reply(tag, reply):
            noteRefusal(tag, reply: reply)
            let records = router.route(
                tag, reply: reply, ownPath: source.path, formatter: formatter, permissions: permissions,
                ledger: &ledger, receivedAtMs: now)
            for record in records { emit(record.object, to: record.audience) }
            processWaitingLines()
            stopControl.replyArrived()
        case let .delivery(frame, _):
            guard let level = permissions.level(of: frame), level != .mute else { return }
            emit(formatter.delivery(frame, permission: level, receivedAtMs: now), to: .everyone)
        case let .rejoinFailed(channel, error):
            ledger.forget(channel)
            diagnostics.report("cannot join \(channel) again: \(error.displayText)")
            emit(formatter.event(.rejoinFailed(channel: channel, error: error), receivedAtMs: now), to: .everyone)
        case let .warning(text):
            diagnostics.report(text)
        case let .ended(end):
            linkEnded(end)
            return
        }
        checkProgress()
    }

    /// `--register`: the first time the link is up, record `[[servers]]` in `config.toml` (re-read under the lock,
    /// so that edits made meanwhile are kept), replacing an entry with the same URL in place.
    private func recordRegistration() {
        guard let registration = settings.registration, !hasRecordedRegistration else { return }
        hasRecordedRegistration = true
        do {
            try ConclaveConfig.update(at: configPath) { config in
                config.register(url: settings.urlText, username: registration.username, machine: registration.machine)
            }
            diagnostics.report(
                "registered \(registration.username)/\(registration.machine) on \(settings.urlText) in \(configPath)")
        } catch {
            diagnostics.report(error.description)
            beginStop(.fatal(error.exitStatus))
        }
    }

    /// `-E`: a refusal of a request of stdin, `-j` or the FIFO decides the status (TOOLS.md "Exit status") and
    /// is named on stderr. Without `-E` the `error` reply alone says it, as for any long-running link.
    private func noteRefusal(_ tag: RequestTag, reply: LinkReply) {
        guard settings.exitsAtEndOfInput, let pending = router.request(for: tag), pending.origin == .client(.local),
              let error = OutcomeTally.refusal(in: reply)
        else { return }
        tally.recordRefusal(error)
        let name = pending.label.map { "\($0): " } ?? ""
        diagnostics.report("\(name)\(pending.request.frame.typeName) refused: \(error.displayText)")
    }

    private func linkEnded(_ end: LinkEnd) {
        if end.code != .shutdown {
            diagnostics.report(end.message)
            finish(end.exitStatus)
            return
        }
        switch stop {
        case .fatal(let status)?: finish(status)
        case .outputClosed?: finish(.success)
        case .signal? where stopControl.unansweredAtShutdown > 0: finish(.linkLost)
        default: finish(tally.status(end: end, unanswered: 0, hasBeenUp: hasBeenUp))
        }
    }

    /// Ends `run` with `status`.
    private func finish(_ status: ExitStatus) {
        exitStatus = status
        loop.stop()
    }

    // MARK: Ending

    /// `-E`: ends once stdin is at its end, the link has come up and every request has its reply.
    private func checkProgress() {
        if stop == nil && settings.exitsAtEndOfInput && isStandardInputAtEnd && hasBeenUp
            && router.outstandingCount == 0 && backlog.isEmpty
        {
            beginStop(.endOfInput)
        }
    }

    /// A signal waits up to 2 s for outstanding replies; the other stops end at once.
    private func beginStop(_ reason: StopControl.Reason) {
        guard reason == .signal else {
            stopControl.begin(reason)
            return
        }
        if stop == nil && router.outstandingCount > 0 {
            diagnostics.detail("waiting up to 2 s for \(router.outstandingCount) replies")
        }
        stopControl.begin(.signal, grace: StopControl.signalGrace)
    }

    /// Stops every input for good: stdin, the FIFO, the `--socket` listener and clients.
    private func stopReading() {
        for input in inputs { input.stop() }
        closeListener()
        for client in clients.values { client.stopReading() }
        backlog.removeAll()
    }

    // MARK: Output

    /// Prints `object` for `audience`: stdout and the FIFO log for the local client, each socket client's queue.
    private func emit(_ object: JSONObject, to audience: ConnectAudience) {
        let line = JSONValue.object(object).serialized()
        if audience.includes(.local) && stop != .outputClosed {
            do {
                try stdout.write(line)
            } catch {
                if error.code != .outputClosed { diagnostics.report(error.description) }
                beginStop(error.code == .outputClosed ? .outputClosed : .fatal(error.exitStatus))
            }
            if let failure = recordLog?.append(Array((line + "\n").utf8)) { diagnostics.report(failure) }
        }
        let targets = clients.values.filter { audience.includes($0.id) }
        guard !targets.isEmpty else { return }
        let bytes = Array((line + "\n").utf8)
        for client in targets { client.send(bytes) }
    }
}

/// Calls `action` whenever the descriptor it is registered for is ready.
private final class ReadinessCallback: EventLoopHandler {
    private let action: () -> Void

    init(_ action: @escaping () -> Void) { self.action = action }

    func handle(_ events: IOEvents, on loop: EventLoop) { action() }
}
