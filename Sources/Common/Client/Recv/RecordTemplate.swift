import ConclaveWire

/// The `-F FORMAT` of `conclave-recv`: printf-like codes over one message (TOOLS.md "conclave-recv"). `%c`
/// channel (empty for a whisper), `%f` from, `%u %m %s` its user, machine and session, `%b` body, `%t` epoch ms
/// (`_ts_ms` for history rows, `_rx_ms` for live ones), `%T` the same as RFC 3339 UTC in whole seconds, `%%`,
/// and the escapes `\n \t \0 \\`.
package struct RecordTemplate: Hashable, Sendable {
    package enum Piece: Hashable, Sendable {
        case text(String)
        case channel, from, user, machine, session, body, epochMs, time
    }

    package let pieces: [Piece]

    /// Parses FORMAT; an unknown code or a lone `%` or `\` at the end is a usage error.
    package init(parsing format: String) throws(RecvError) {
        var pieces: [Piece] = []
        var text = ""
        var characters = format.makeIterator()
        while let character = characters.next() {
            guard character == "%" || character == "\\" else {
                text.append(character)
                continue
            }
            guard let code = characters.next() else {
                throw RecvError(.usage, "-F: a lone \(character) at the end of \(format)")
            }
            let piece: Piece? = switch (character, code) {
            case ("%", "%"): .text("%")
            case ("%", "c"): .channel
            case ("%", "f"): .from
            case ("%", "u"): .user
            case ("%", "m"): .machine
            case ("%", "s"): .session
            case ("%", "b"): .body
            case ("%", "t"): .epochMs
            case ("%", "T"): .time
            case ("\\", "n"): .text("\n")
            case ("\\", "t"): .text("\t")
            case ("\\", "0"): .text("\0")
            case ("\\", "\\"): .text("\\")
            default: nil
            }
            guard let piece else { throw RecvError(.usage, "-F: unknown code \(character)\(code) in \(format)") }
            if case let .text(literal) = piece {
                text += literal
                continue
            }
            if !text.isEmpty { pieces.append(.text(text)) }
            text = ""
            pieces.append(piece)
        }
        if !text.isEmpty { pieces.append(.text(text)) }
        self.pieces = pieces
    }

    /// The text for `message`.
    package func render(_ message: PrintedMessage) -> String {
        var result = ""
        for piece in pieces {
            switch piece {
            case let .text(text): result += text
            case .channel: result += message.channel ?? ""
            case .from: result += message.from.text
            case .user: result += message.from.user
            case .machine: result += message.from.machine
            case .session: result += message.from.session
            case .body: result += message.bodyText
            case .epochMs: result += String(message.timeMs)
            case .time: result += RFC3339.format(milliseconds: Self.wholeSeconds(message.timeMs))
            }
        }
        return result
    }

    /// `ms` rounded down to its second, so `%T` has no fraction.
    private static func wholeSeconds(_ ms: Int64) -> Int64 {
        let remainder = ms % 1000
        return ms - (remainder < 0 ? remainder + 1000 : remainder)
    }
}
