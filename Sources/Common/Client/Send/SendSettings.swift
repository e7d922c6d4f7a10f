import ConclaveIdentity
import ConclaveLink
import ConclaveTransport
import ConclaveWire

/// The command line of `conclave-send` as given, before the environment and `config.toml` are consulted.
package struct SendArguments: Hashable, Sendable, LinkSourceArguments {
    /// The positional words: CHANNEL then MESSAGE words, or (with `--to` or `--json`) only MESSAGE words.
    package var words: [String] = []
    package var whisperTarget: String?
    package var json = false
    package var wholeInput = false
    package var empty = false
    package var print = false
    package var waitSeconds: Double?
    package var agent = false
    package var strict = false
    package var handle: String?
    package var url: String?
    package var socketPath: String?

    package init() {}
}

/// Everything `conclave-send` needs to run, resolved from its arguments and environment. Pure, so every rule
/// is unit-tested.
package struct SendSettings: Hashable, Sendable {
    /// Where the messages go.
    package enum Target: Hashable, Sendable {
        case channel(String)
        case whisper(SessionPath)
        /// `--json`: stdin lines are requests.
        case requests
    }

    /// Where the messages come from.
    package enum Input: Hashable, Sendable {
        /// MESSAGE words on the command line, joined by spaces: one message.
        case words(String)
        /// Each stdin line is one message.
        case lines
        /// `-s`: all of stdin is one message.
        case whole
    }

    /// Which link (TOOLS.md "Which link").
    package enum LinkChoice: Hashable, Sendable {
        /// A link of its own, to the server of `-u`, `$CONCLAVE_URL` or `config.toml` (resolved later).
        case own(url: String?)
        case socket(path: String)
    }

    package var target: Target
    package var input: Input
    package var sendsEmptyLines: Bool
    package var printsOnly: Bool
    package var waitMs: Int
    package var agent: Bool
    package var strict: Bool
    /// `--as`: the handle of its own link; nil means `cli-<pid>`.
    package var handle: String?
    package var link: LinkChoice

    /// The default `-W`.
    package static let defaultWaitSeconds = 30.0

    package static func resolve(
        _ arguments: SendArguments, environment: [String: String]
    ) throws(ClientError) -> SendSettings {
        var words = arguments.words
        let target: Target
        if arguments.json {
            guard arguments.whisperTarget == nil, words.isEmpty else {
                throw ClientError(.usage, "--json reads requests from stdin: no CHANNEL, MESSAGE or --to")
            }
            guard !arguments.wholeInput, !arguments.empty else {
                throw ClientError(.usage, "--json takes one request per line: -s and --empty do not apply")
            }
            target = .requests
        } else if let text = arguments.whisperTarget {
            do {
                target = .whisper(try SessionPath(parsing: text))
            } catch {
                throw ClientError(.usage, "--to needs a session path USER/MACHINE/SESSION: \(text)")
            }
        } else {
            guard let channel = words.first, !channel.isEmpty else {
                throw ClientError(.usage, "a CHANNEL (or --to PATH, or --json) is needed")
            }
            target = .channel(channel)
            words.removeFirst()
        }
        let input: Input
        if !words.isEmpty {
            guard !arguments.wholeInput else { throw ClientError(.usage, "-s reads stdin: no MESSAGE words") }
            input = .words(words.joined(separator: " "))
        } else {
            input = arguments.wholeInput ? .whole : .lines
        }
        let seconds = arguments.waitSeconds ?? defaultWaitSeconds
        guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw ClientError(.usage, "-W needs a number of seconds above 0 and at most 86400")
        }
        if let handle = arguments.handle, !SessionPath.isValidComponent(handle) {
            throw ClientError(.usage, "--as needs a non-empty handle without '/': \(handle)")
        }
        return SendSettings(
            target: target, input: input, sendsEmptyLines: arguments.empty, printsOnly: arguments.print,
            waitMs: max(1, Int((seconds * 1000).rounded())), agent: arguments.agent, strict: arguments.strict,
            handle: arguments.handle,
            link: try linkChoice(url: arguments.url, socket: arguments.socketPath, environment: environment))
    }

    /// `--socket` > `-u` > `$CONCLAVE_SOCKET` > a link of its own; `--socket` with `-u` is a usage error.
    package static func linkChoice(
        url: String?, socket: String?, environment: [String: String]
    ) throws(ClientError) -> LinkChoice {
        switch (url, socket) {
        case (_?, _?):
            throw ClientError(.usage, "--socket and -u cannot be combined: attach to a link, or make one")
        case let (nil, path?):
            guard !path.isEmpty else { throw ClientError(.usage, "--socket needs a non-empty path") }
            return .socket(path: path)
        case let (url?, nil):
            return .own(url: url)
        case (nil, nil):
            if let path = environment["CONCLAVE_SOCKET"], !path.isEmpty { return .socket(path: path) }
            return .own(url: nil)
        }
    }
}
