import ConclaveIdentity
import ConclaveLink
import ConclaveTransport
import ConclaveWire

/// The command line of `conclave-recv` as given, before the environment and `config.toml` are consulted.
package struct RecvArguments: Hashable, Sendable, LinkSourceArguments {
    package var channels: [String] = []
    package var count: Int?
    package var waitSeconds: Double?
    package var idleSeconds: Double?
    package var since: String?
    package var historyOnly = false
    package var raw = false
    package var format: String?
    package var nulTerminated = false
    package var json = false
    package var events = false
    package var noWhispers = false
    package var handle: String?
    package var url: String?
    package var socketPath: String?
    /// `-i FILE`; `-` is standard input.
    package var inputPath: String?
    /// `--cursor FILE`.
    package var cursorPath: String?
    /// `--follow`.
    package var follows = false

    package init() {}
}

/// Everything `conclave-recv` needs to run, resolved from its arguments, the environment, `config.toml`, whether
/// stdout is a terminal and the process id. Pure, so every rule is unit-tested.
package struct RecvSettings: Hashable, Sendable {
    /// Where records come from (TOOLS.md "Which link").
    package enum Source: Hashable, Sendable {
        /// A link of the tool's own: the server URL as chosen, and the handle (`--as`, else `cli-<pid>`).
        case link(urlText: String, url: WebSocketURL, handle: String, timing: LinkTiming)
        /// A running `conclave-connect --socket PATH`.
        case socket(path: String)
        /// The NDJSON output of a `conclave-connect`: a file, or standard input when nil.
        case input(path: String?)
    }

    /// `--cursor FILE [--follow]`: where the run resumes from and saves to.
    package struct Cursor: Hashable, Sendable {
        package var path: String
        /// Keep going after what is there, saving after every record.
        package var follows: Bool
    }

    package var source: Source
    package var cursor: Cursor?
    package var channels: [String]
    package var showsWhispers: Bool
    package var style: RecordStyle
    /// Ends every record: a newline, or NUL under `-0`.
    package var terminator: UInt8
    package var showsEvents: Bool
    package var since: SinceTime?
    package var historyOnly: Bool
    package var countLimit: Int?
    package var waitMs: Int?
    package var idleMs: Int?

    package static func resolve(
        _ arguments: RecvArguments, environment: [String: String], config: ConclaveConfig, stdoutIsTerminal: Bool,
        processID: Int32
    ) throws -> RecvSettings {
        // The command line's own mistakes first: a usage error (64) is not hidden by a missing server (66).
        if arguments.follows && arguments.cursorPath == nil { throw RecvError(.usage, "--follow needs --cursor") }
        if arguments.raw && arguments.format != nil { throw RecvError(.usage, "-r and -F cannot be combined") }
        if arguments.json && (arguments.raw || arguments.format != nil) {
            throw RecvError(.usage, "--json cannot be combined with -r or -F")
        }
        for channel in arguments.channels where channel.isEmpty {
            throw RecvError(.usage, "a CHANNEL cannot be empty")
        }
        var since: SinceTime?
        if let text = arguments.since {
            guard let parsed = SinceTime(parsing: text) else {
                throw RecvError(
                    .usage, "--since needs N[smhdw], @EPOCH_MS or an RFC 3339 time (example: --since 1h): \(text)")
            }
            since = parsed
        }
        if let count = arguments.count, count < 1 { throw RecvError(.usage, "-C needs a number of at least 1") }
        let source = try source(arguments, environment: environment, config: config, processID: processID)
        if arguments.historyOnly || since != nil {
            let flag = arguments.historyOnly ? "--history-only" : "--since"
            if case .input = source { throw RecvError(.usage, "\(flag) needs a link, not -i") }
            if arguments.channels.isEmpty { throw RecvError(.usage, "\(flag) needs at least one CHANNEL") }
        }
        let cursor = try cursor(arguments, source: source)
        let style: RecordStyle = if let format = arguments.format {
            .template(try RecordTemplate(parsing: format))
        } else if arguments.raw {
            .body
        } else if arguments.json || !stdoutIsTerminal {
            .json
        } else {
            .human
        }
        return RecvSettings(
            source: source, cursor: cursor, channels: arguments.channels, showsWhispers: !arguments.noWhispers,
            style: style,
            terminator: arguments.nulTerminated ? 0 : UInt8(ascii: "\n"), showsEvents: arguments.events,
            since: since ?? (arguments.historyOnly ? .absolute(epochMs: 0) : nil), historyOnly: arguments.historyOnly,
            countLimit: arguments.count, waitMs: try milliseconds(arguments.waitSeconds, flag: "-W"),
            idleMs: try milliseconds(arguments.idleSeconds, flag: "--idle"))
    }

    /// `-i`, `--socket` and `-u` are exclusive; with none, `$CONCLAVE_SOCKET`, else a link of the tool's own.
    private static func source(
        _ arguments: RecvArguments, environment: [String: String], config: ConclaveConfig, processID: Int32
    ) throws -> Source {
        let given = [("-i", arguments.inputPath), ("--socket", arguments.socketPath), ("-u", arguments.url)]
            .filter { $0.1 != nil }
        if given.count > 1 {
            throw RecvError(.usage, given.map(\.0).joined(separator: " and ") + " cannot be combined")
        }
        for (flag, value) in given where value?.isEmpty == true {
            throw RecvError(.usage, "\(flag) needs a non-empty value")
        }
        if let path = arguments.inputPath { return .input(path: path == "-" ? nil : path) }
        if let path = arguments.socketPath { return .socket(path: path) }
        if arguments.url == nil, let path = environment["CONCLAVE_SOCKET"], !path.isEmpty {
            return .socket(path: path)
        }
        let handle = arguments.handle ?? "cli-\(processID)"
        guard SessionPath.isValidComponent(handle) else {
            throw RecvError(.usage, "--as needs a handle without '/': \(handle)")
        }
        let urlText = try ServerSelection.resolve(flag: arguments.url, environment: environment, config: config)
        return .link(
            urlText: urlText, url: try WebSocketURL(parsing: urlText), handle: handle,
            timing: try LinkTiming.fromEnvironment(environment))
    }

    /// `--cursor` reads a spool file (`-i FILE`, not stdin) or the history of named channels.
    private static func cursor(_ arguments: RecvArguments, source: Source) throws(RecvError) -> Cursor? {
        guard let path = arguments.cursorPath else { return nil }
        if path.isEmpty { throw RecvError(.usage, "--cursor needs a non-empty value") }
        if arguments.historyOnly { throw RecvError(.usage, "--cursor and --history-only cannot be combined") }
        switch source {
        case .input(path: nil):
            throw RecvError(.usage, "--cursor needs -i FILE, not standard input")
        case .input:
            break
        case .link, .socket:
            if arguments.channels.isEmpty { throw RecvError(.usage, "--cursor on a link needs at least one CHANNEL") }
        }
        return Cursor(path: path, follows: arguments.follows)
    }

    private static func milliseconds(_ seconds: Double?, flag: String) throws(RecvError) -> Int? {
        guard let seconds else { return nil }
        guard seconds.isFinite, seconds >= 0, seconds <= 31_536_000 else {
            throw RecvError(.usage, "\(flag) needs a number of seconds from 0 to 31536000")
        }
        return Int((seconds * 1000).rounded())
    }
}
