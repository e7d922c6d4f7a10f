#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclaveIdentity
import ConclaveLink
import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

/// The running `conclave-recv` (TOOLS.md "conclave-recv"): joins its channels on a link, replays and catches up
/// history through a `CatchUpTracker`, and prints what arrives until `-C`, `-W`, `--idle`, `--history-only`, a
/// closed stdout, a signal or a fatal end of the link. With `-i` it filters a conclave-connect's output instead.
package final class RecvSession {
    /// What a request of recv's own is for.
    private enum Purpose {
        case join(String)
        case read(String)
    }

    /// The baseline read of a channel followed without `--since` starts this far back, so that it finds the
    /// newest rows (and a server-time watermark) even when the clocks differ (PROTOCOL.md §7.8).
    private static let baselineSlackMs: Int64 = 60_000

    private let settings: RecvSettings
    private let permissions: PermissionPolicy
    private let formatter: RecordFormatter
    private let diagnostics: Diagnostics
    private let loop: EventLoop
    private let printer: RecvPrinter
    private var source: (any LinkSource)?
    private var input: InputReader?
    private let inputFilter: ConnectOutputFilter

    private var tracker: CatchUpTracker
    private var purposes: [RequestTag: Purpose] = [:]
    private var channelsAwaitingEnd: Set<String>
    private var hasBeenUp = false
    private var sawBadInput = false
    private var lastMessage = MonotonicInstant.now()
    private var exitStatus: ExitStatus?
    /// `--cursor` on a link: the channel watermarks, and the channels whose first read has not ended yet.
    private var channelCursor: ChannelCursor?
    private var channelsAwaitingFirstRead: Set<String> = []
    /// `--cursor` with `-i FILE`.
    private var spoolCursor: (file: CursorFile, reader: SpoolReader)?

    /// `signingKey` is needed for a link of the tool's own only; `server` is the URL records name in `_server`
    /// and permissions are looked up for (on a `--socket` link, the one chosen as for a link of recv's own).
    package init(
        settings: RecvSettings, config: ConclaveConfig, configPath: String, server: String, signingKey: SigningKey?,
        diagnostics: Diagnostics
    ) throws(RecvError) {
        self.settings = settings
        self.diagnostics = diagnostics
        tracker = CatchUpTracker(tracksPositions: settings.cursor != nil)
        permissions = PermissionPolicy(config: config, server: server, configPath: configPath)
        formatter = RecordFormatter(server: server)
        printer = RecvPrinter(
            style: settings.style, terminator: settings.terminator, countLimit: settings.countLimit,
            formatter: formatter)
        inputFilter = ConnectOutputFilter(
            channels: settings.channels, showsWhispers: settings.showsWhispers, showsEvents: settings.showsEvents,
            config: config)
        channelsAwaitingEnd = settings.historyOnly ? Set(settings.channels) : []
        do {
            loop = try EventLoop()
        } catch {
            throw RecvError(.system, error.message)
        }
        switch settings.source {
        case let .link(urlText, url, handle, timing):
            guard let signingKey else { break }
            source = OwnLink(
                configuration: LinkConfiguration(
                    url: url, urlText: urlText, handle: .explicit(handle), signingKey: signingKey, registration: nil,
                    timing: timing, retryLimit: nil, reconnects: true),
                loop: loop)
        case let .socket(path):
            source = SocketAttachment(socketPath: path, loop: loop)
        case .input:
            break
        }
    }

    /// Runs to the end; returns the exit status.
    package func run() throws(RecvError) -> ExitStatus {
        do {
            let signals = try StopSignals { [unowned self] _ in self.finish(.success) }
            try signals.register(on: loop)
            OutputWatcher { [unowned self] in self.finish(.success) }.start(on: loop)
            if let cursor = settings.cursor {
                let deadline = settings.waitMs.map { MonotonicInstant.after(milliseconds: $0) }
                guard let file = try CursorFile.lock(cursor.path, until: deadline) else {
                    diagnostics.report("\(cursor.path) stayed locked by another run for -W")
                    return .timeout
                }
                try openCursor(file)
            }
            startTimers()
            if let spoolCursor {
                loop.schedule(afterMilliseconds: 0) { [unowned self] in self.pollSpool(spoolCursor.reader) }
            } else if let source {
                source.start { [unowned self] event in self.handle(event) }
                for channel in settings.channels { submit(.join(channel: channel, token: nil), for: .join(channel)) }
            } else {
                let reader = InputReader(
                    .standardInput, loop: loop, onLine: { [unowned self] line in self.handleInput(line) },
                    onEnd: { [unowned self] in self.finish(self.sawBadInput ? .dataError : .success) })
                try reader.start()
                input = reader
            }
            try loop.run()
        } catch let error as RecvError {
            throw error
        } catch {
            throw RecvError(.system, "\(error)")
        }
        return exitStatus ?? .failure
    }

    // MARK: --cursor

    private func openCursor(_ file: CursorFile) throws(RecvError) {
        guard case let .input(path?) = settings.source else {
            channelCursor = try ChannelCursor(file: file, server: formatter.server) { [diagnostics] in
                diagnostics.report($0)
            }
            channelsAwaitingFirstRead = Set(settings.channels)
            return
        }
        var saved: SpoolPosition?
        if !file.contents.isEmpty {
            switch RecvCursor(parsing: file.contents) {
            case let .spool(position)?: saved = position
            case .channels?: throw RecvError(.usage, "\(file.path) holds channel watermarks: use it on a link")
            case nil: throw RecvError(.dataError, "\(file.path) is not a conclave-recv cursor")
            }
        }
        let reader = try SpoolReader(path: path, resumingFrom: saved) { [diagnostics] in diagnostics.report($0) }
        spoolCursor = (file, reader)
    }

    /// Handles the spool's new lines, saving the position after every line that printed a record and after the
    /// last one; then ends (or, with `--follow`, looks again shortly).
    private func pollSpool(_ reader: SpoolReader) {
        guard exitStatus == nil, let file = spoolCursor?.file else { return }
        do {
            var unsaved: SpoolPosition?
            for (line, position) in try reader.nextLines() {
                guard exitStatus == nil else { break }
                let printed = printer.printedMessages
                handleInput(line)
                unsaved = position
                if printer.printedMessages != printed {
                    try file.save(RecvCursor.spool(position).jsonLine)
                    unsaved = nil
                }
            }
            if let unsaved, exitStatus == nil { try file.save(RecvCursor.spool(unsaved).jsonLine) }
        } catch {
            return fail(error)
        }
        guard exitStatus == nil else { return }
        if settings.cursor?.follows == true {
            loop.schedule(afterMilliseconds: 100) { [weak self] in self?.pollSpool(reader) }
        } else {
            finish(sawBadInput ? .dataError : .success)
        }
    }

    private func advanceCursor(_ channel: String, to watermark: ChannelWatermark) {
        do {
            try channelCursor?.advance(channel, to: watermark)
        } catch {
            fail(error)
        }
    }

    /// The first read of `channel` ended: without `--follow`, the run ends once every channel's has.
    private func firstReadEnded(_ channel: String) {
        guard channelsAwaitingFirstRead.remove(channel) != nil, channelsAwaitingFirstRead.isEmpty,
              settings.cursor?.follows == false
        else { return }
        finish(.success)
    }

    // MARK: Link events

    private func handle(_ event: LinkSourceEvent) {
        let now = WallClock.nowMilliseconds()
        switch event {
        case let .attached(socketPath):
            // The link behind the socket may have come up long ago: attaching counts as coming up.
            diagnostics.detail("attached to \(socketPath)")
            hasBeenUp = true
        case let .up(path, serverID, admin):
            diagnostics.detail("link up as \(path)")
            printEvent(formatter.event(.linkUp(path: path, serverID: serverID, admin: admin), receivedAtMs: now))
            if hasBeenUp {
                for channel in tracker.watermarks.keys.sorted() {
                    if let request = tracker.catchUp(channel) { submit(request, for: .read(channel)) }
                }
            }
            hasBeenUp = true
        case let .down(reason):
            if exitStatus == nil { diagnostics.report("link down: \(reason)") }
            printEvent(formatter.event(.linkDown(reason: reason), receivedAtMs: now))
        case let .retry(attempt, delayMs):
            printEvent(formatter.event(.linkRetry(attempt: attempt, delayMs: delayMs), receivedAtMs: now))
        case let .reply(tag, reply):
            guard let purpose = purposes.removeValue(forKey: tag) else { return }
            handle(reply, for: purpose, now: now)
        case let .delivery(frame, _):
            handleDelivery(frame, now: now)
        case let .rejoinFailed(channel, error):
            diagnostics.report("cannot join \(channel) again: \(error.displayText)")
            printEvent(formatter.event(.rejoinFailed(channel: channel, error: error), receivedAtMs: now))
            apply(CatchUpTracker.Step(outputs: tracker.forget(channel)))
            firstReadEnded(channel)
        case let .warning(text):
            diagnostics.report(text)
        case let .ended(end):
            if exitStatus == nil {
                if end.code != .shutdown { diagnostics.report(end.message) }
                exitStatus = end.exitStatus
            }
            loop.stop()
        }
    }

    private func handle(_ reply: LinkReply, for purpose: Purpose, now: Int64) {
        switch (purpose, reply) {
        case let (.join(channel), .frame(.joined)):
            let request: ProtocolMessage = if let saved = channelCursor?.saved(channel) {
                tracker.resume(channel, from: saved, kind: .replay(announcesEnd: false))
            } else if let since = settings.since, channelCursor?.isResuming != true {
                tracker.begin(channel, sinceMs: since.epochMilliseconds(now: now), kind: .replay(announcesEnd: true))
            } else {
                tracker.begin(channel, sinceMs: now - Self.baselineSlackMs, kind: .baseline)
            }
            submit(request, for: .read(channel))
        case let (.read(channel), .frame(.history(_, messages))):
            apply(tracker.receivePage(channel, rows: messages))
            if channelCursor != nil, !tracker.isReading(channel) { firstReadEnded(channel) }
        case let (.join(channel), .frame(.error(error))), let (.read(channel), .frame(.error(error))):
            let code: RecvError.Code = if case .unauthorized = error { .unauthorized } else { .refusedRequest }
            fail(RecvError(code, "cannot \(Self.verb(purpose)) \(channel): \(error.displayText)"))
        case let (.join(channel), .frame(frame)), let (.read(channel), .frame(frame)):
            fail(RecvError(.refusedRequest, "cannot \(Self.verb(purpose)) \(channel): unexpected \(frame.typeName)"))
        case let (.join(channel), .failed(text)), let (.read(channel), .failed(text)):
            fail(RecvError(.refusedRequest, "cannot \(Self.verb(purpose)) \(channel): \(text)"))
        }
    }

    private static func verb(_ purpose: Purpose) -> String {
        if case .join = purpose { return "join" }
        return "read the history of"
    }

    private func handleDelivery(_ frame: ProtocolMessage, now: Int64) {
        switch frame {
        case let .channelMsg(channel, from, payload):
            guard settings.channels.isEmpty || settings.channels.contains(channel) else { return }
            let live = CatchUpTracker.LiveMessage(channel: channel, from: from, payload: payload, receivedAtMs: now)
            apply(tracker.receive(live))
        case .whisper:
            // A run that stops at the end of what is there has no place in a whisper stream to resume from.
            guard settings.showsWhispers, !settings.historyOnly, settings.cursor?.follows != false else { return }
            printDelivery(frame, receivedAtMs: now, historyTsMs: nil)
        default:
            break
        }
    }

    /// Prints a tracker step's outputs, then submits its request. Under `--cursor` the position moves after
    /// each record written and, once the step is through, to the watermark of every channel not being read.
    private func apply(_ step: CatchUpTracker.Step) {
        for (index, output) in step.outputs.enumerated() {
            guard exitStatus == nil else { break }
            let channel: String
            switch output {
            case let .row(rowChannel, row):
                channel = rowChannel
                printDelivery(
                    .channelMsg(channel: channel, from: row.from, payload: row.payload),
                    receivedAtMs: WallClock.nowMilliseconds(), historyTsMs: row.tsMs)
            case let .live(message):
                channel = message.channel
                guard !settings.historyOnly else { continue }
                printDelivery(
                    .channelMsg(channel: message.channel, from: message.from, payload: message.payload),
                    receivedAtMs: message.receivedAtMs, historyTsMs: nil)
            case let .historyEnd(endChannel, tsMs):
                channel = endChannel
                historyEnded(channel, tsMs: tsMs)
            }
            let written = printer.stop == nil || printer.stop == .countReached
            if written, index < step.positions.count, let position = step.positions[index] {
                advanceCursor(channel, to: position)
            }
        }
        if channelCursor != nil, exitStatus == nil {
            for (channel, watermark) in tracker.watermarks.sorted(by: { $0.key < $1.key })
            where !tracker.isReading(channel) {
                advanceCursor(channel, to: watermark)
            }
        }
        if let request = step.request, case let .readSince(channel, _) = request {
            submit(request, for: .read(channel))
        }
    }

    private func historyEnded(_ channel: String, tsMs: Int64) {
        if settings.style == .json && settings.cursor == nil || settings.showsEvents {
            var object: JSONObject = ["type": "history_end", "channel": .string(channel), "ts_ms": .integer(tsMs)]
            object.merge(["_server": .string(formatter.server), "_rx_ms": .integer(WallClock.nowMilliseconds())])
            printer.printEvent(object)
            checkPrinter()
        }
        guard channelsAwaitingEnd.remove(channel) != nil, channelsAwaitingEnd.isEmpty else { return }
        finish(.success)
    }

    private func submit(_ frame: ProtocolMessage, for purpose: Purpose) {
        guard let source else { return }
        purposes[source.submit(ClientRequest(frame: frame))] = purpose
    }

    // MARK: -i

    private func handleInput(_ line: LineSplitter.Line) {
        guard exitStatus == nil else { return }
        let object: JSONObject
        switch line {
        case let .overlong(number):
            return reportBadInput("line \(number) is longer than \(InputLine.maximumLineByteCount) bytes")
        case let .text(bytes, number):
            guard let parsed = try? JSONValue(parsing: bytes).objectValue else {
                return reportBadInput("line \(number) is not a JSON object")
            }
            object = parsed
        }
        for record in inputFilter.records(for: object) {
            switch record {
            case let .message(message): printMessage(message)
            case let .event(event): printEvent(event)
            }
        }
    }

    private func reportBadInput(_ text: String) {
        sawBadInput = true
        diagnostics.report("\(settings.source == .input(path: nil) ? "stdin" : "input") \(text)")
    }

    // MARK: Output

    private func printDelivery(_ frame: ProtocolMessage, receivedAtMs: Int64, historyTsMs: Int64?) {
        guard let level = permissions.level(of: frame), level != .mute, exitStatus == nil else { return }
        printer.printDelivery(frame, permission: level, receivedAtMs: receivedAtMs, historyTsMs: historyTsMs)
        didPrint()
    }

    private func printMessage(_ object: JSONObject) {
        guard exitStatus == nil else { return }
        printer.printMessage(object)
        didPrint()
    }

    private func didPrint() {
        lastMessage = MonotonicInstant.now()
        checkPrinter()
    }

    private func printEvent(_ object: JSONObject) {
        guard settings.showsEvents, exitStatus == nil else { return }
        printer.printEvent(object)
        checkPrinter()
    }

    private func checkPrinter() {
        switch printer.stop {
        case nil: break
        case .countReached?, .outputClosed?: finish(.success)
        case let .failed(error)?: fail(error)
        }
    }

    // MARK: Ending

    /// `-W` and `--idle`.
    private func startTimers() {
        if let waitMs = settings.waitMs {
            loop.schedule(afterMilliseconds: waitMs) { [weak self] in
                guard let self else { return }
                if source != nil && !hasBeenUp {
                    fail(RecvError(.refusedRequest, "no link within -W \(Double(waitMs) / 1000) s"), .unavailable)
                } else {
                    finish(.timeout)
                }
            }
        }
        if let idleMs = settings.idleMs { scheduleIdleCheck(idleMs, after: idleMs) }
    }

    /// Checks for `--idle` when the quiet period would end: rescheduled from the last message instead of
    /// re-arming a timer for every message.
    private func scheduleIdleCheck(_ idleMs: Int, after delayMs: Int) {
        loop.schedule(afterMilliseconds: max(delayMs, 1)) { [weak self] in
            guard let self, exitStatus == nil else { return }
            let deadline = lastMessage.advanced(byMilliseconds: idleMs)
            if deadline.hasPassed {
                finish(.timeout)
            } else {
                scheduleIdleCheck(idleMs, after: Int(deadline.millisecondsFromNow))
            }
        }
    }

    private func fail(_ error: any ToolError, _ status: ExitStatus? = nil) {
        guard exitStatus == nil else { return }
        if error.exitStatus != .success { diagnostics.report(error.description) }
        finish(status ?? error.exitStatus)
    }

    /// Ends with `status`: the link is closed politely first.
    private func finish(_ status: ExitStatus) {
        guard exitStatus == nil else {
            // A second signal does not wait for the close.
            loop.stop()
            return
        }
        exitStatus = status
        input?.stop()
        if let source { source.shutdown() } else { loop.stop() }
    }
}
