import ConclaveCLI
import ConclaveWire

/// One input line of `conclave-connect` (stdin, a `--fifo` FIFO or a `--socket` client) read as a request
/// (TOOLS.md "Input"): a client-to-server frame in the JSON form of PROTOCOL.md §4, or a shorthand
/// (`{"channel": C, "body": TEXT}`, `{"to": PATH, "body": TEXT}`), with an optional `_id`.
package struct ClientRequest: Hashable, Sendable {
    package var frame: ProtocolMessage
    /// The caller's `_id` (a JSON string or number), echoed verbatim on the reply; nil when absent.
    package var correlation: JSONValue?

    package init(frame: ProtocolMessage, correlation: JSONValue? = nil) {
        self.frame = frame
        self.correlation = correlation
    }
}

/// An input line that is not a request: reported as `input_error {line, message}` and skipped.
package struct InputLineError: ToolError, Hashable, Sendable {
    /// The 1-based number of the line in its source (stdin, the FIFO, or one socket client).
    package var line: Int
    /// One line saying what is wrong, naming the member at fault.
    package var message: String
    /// The line's `_id` when it could be read, so the caller can match the error to its request.
    package var correlation: JSONValue?

    package init(line: Int, message: String, correlation: JSONValue? = nil) {
        self.line = line
        self.message = message
        self.correlation = correlation
    }

    package var exitStatus: ExitStatus { .dataError }
    package var description: String { "line \(line): \(message)" }
}

/// Parsing of input lines. Pure: the link's own path (to fill an omitted `from`) is given by the caller.
package enum InputLine {
    /// The largest frame the server takes (PROTOCOL.md §2.4); a request that encodes to more is bad input.
    package static let maximumFrameByteCount = 16 * 1024 * 1024
    /// The longest line read at all. JSON escapes and base64url make a line longer than its frame, so this is
    /// well above the frame cap; a longer line is refused without being kept in memory.
    package static let maximumLineByteCount = 64 * 1024 * 1024

    /// Reads one line (without its `\n`). `defaultFrom` fills a `channel_msg` or `whisper` that has no `from`
    /// (the server stamps the real one anyway, PROTOCOL.md §10 item 5). Returns nil for a blank line, which
    /// is skipped silently.
    package static func parse(
        _ line: some Collection<UInt8>, number: Int, defaultFrom: SessionPath
    ) -> Result<ClientRequest, InputLineError>? {
        if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { return nil }
        let value: JSONValue
        do {
            value = try JSONValue(parsing: line)
        } catch {
            return .failure(InputLineError(line: number, message: error.description))
        }
        guard case let .object(object) = value else {
            return .failure(InputLineError(
                line: number, message: "expected a JSON object, found \(value.kindDescription)"))
        }
        let correlation: JSONValue?
        switch object["_id"] {
        case nil, .null?:
            correlation = nil
        case let id? where isCorrelation(id):
            correlation = id
        case let id?:
            return .failure(InputLineError(
                line: number, message: "member \"_id\": expected a string or a number, found \(id.kindDescription)"))
        }
        do {
            let frame = try request(in: object, defaultFrom: defaultFrom)
            return .success(ClientRequest(frame: frame, correlation: correlation))
        } catch {
            return .failure(InputLineError(line: number, message: error.description, correlation: correlation))
        }
    }

    /// The refusal for a line that could not be read at all because it is longer than `maximumLineByteCount`.
    package static func overlongLineError(number: Int) -> InputLineError {
        InputLineError(
            line: number, message: "line longer than \(maximumLineByteCount / (1024 * 1024)) MiB, not read")
    }

    private static func isCorrelation(_ value: JSONValue) -> Bool {
        switch value {
        case .string, .integer, .number: true
        default: false
        }
    }

    /// The frame an input object asks for, after the checks that make it fit to send.
    private static func request(
        in object: JSONObject, defaultFrom: SessionPath
    ) throws(InputProblem) -> ProtocolMessage {
        let frame: ProtocolMessage
        if object["type"] == nil && object["body"] != nil {
            frame = try shorthand(object, from: defaultFrom)
        } else {
            do {
                frame = try AnnotatedFrame(json: object, defaultFrom: defaultFrom).frame
            } catch {
                throw InputProblem(error.description)
            }
        }
        switch frame {
        case .hello, .auth, .register:
            throw InputProblem("\"\(frame.typeName)\" belongs to the handshake, which the link runs itself")
        case _ where !frame.isClientToServer:
            throw InputProblem("\"\(frame.typeName)\" is a server-to-client frame; a client cannot send it")
        default:
            break
        }
        let size = frame.encoded().count
        guard size <= maximumFrameByteCount else {
            throw InputProblem("the frame is \(size) bytes, over the 16 MiB limit of one message")
        }
        return frame
    }

    /// `{"channel": C, "body": TEXT}` → `channel_msg`; `{"to": PATH, "body": TEXT}` → `whisper`.
    private static func shorthand(_ object: JSONObject, from: SessionPath) throws(InputProblem) -> ProtocolMessage {
        for name in object.names where !name.hasPrefix("_") && !["body", "channel", "to"].contains(name) {
            throw InputProblem("unknown member \"\(name)\" in a shorthand ({\"channel\" or \"to\", \"body\"})")
        }
        guard case let .string(body)? = object["body"] else {
            let found = object["body"]?.kindDescription ?? "nothing"
            throw InputProblem("member \"body\": expected a string, found \(found)")
        }
        switch (object["channel"], object["to"]) {
        case let (channel?, nil):
            guard case let .string(name) = channel else {
                throw InputProblem("member \"channel\": expected a string, found \(channel.kindDescription)")
            }
            return .channelMsg(channel: name, from: from, payload: .plain(body))
        case let (nil, target?):
            do {
                return .whisper(from: from, target: try JSONField.sessionPath(target, "to"), payload: .plain(body))
            } catch {
                throw InputProblem(error.description)
            }
        case (nil, nil):
            throw InputProblem("a shorthand needs \"channel\" (a post) or \"to\" (a whisper) beside \"body\"")
        default:
            throw InputProblem("a shorthand has \"channel\" or \"to\", not both")
        }
    }
}

/// Why an input object is not a request, before the line number is attached.
private struct InputProblem: Error {
    package var message: String
    init(_ message: String) { self.message = message }
    package var description: String { message }
}
