/// Cuts a byte stream into `\n`-terminated lines, holding at most `maximumLineByteCount` bytes of an unfinished
/// line: a longer line is skipped up to its end and reported once as `.overlong`, so a peer cannot make the
/// tool buffer without bound.
package struct LineSplitter: Sendable {
    /// One line of input, numbered from 1 in its stream.
    package enum Line: Hashable, Sendable {
        /// A line without its `\n` (a `\r` before it is kept; the JSON reader takes it as whitespace).
        case text([UInt8], number: Int)
        /// A line that went over the limit; its bytes were dropped.
        case overlong(number: Int)
    }

    package let maximumLineByteCount: Int
    private var pending: [UInt8] = []
    private var isDiscarding = false
    private var lineCount = 0

    package init(maximumLineByteCount: Int = InputLine.maximumLineByteCount) {
        self.maximumLineByteCount = maximumLineByteCount
    }

    /// True when bytes of an unfinished line are held (or being skipped).
    package var hasPartialLine: Bool { !pending.isEmpty || isDiscarding }

    /// Takes the next bytes of the stream; returns the lines they complete, in order.
    package mutating func append(_ bytes: some Collection<UInt8>) -> [Line] {
        var lines: [Line] = []
        var rest = bytes[...]
        while !rest.isEmpty {
            guard let newline = rest.firstIndex(of: UInt8(ascii: "\n")) else {
                take(rest)
                break
            }
            take(rest[..<newline])
            lines.append(finishLine())
            rest = rest[rest.index(after: newline)...]
        }
        return lines
    }

    /// The stream ended: a last line without `\n`, if any.
    package mutating func finish() -> Line? {
        hasPartialLine ? finishLine() : nil
    }

    private mutating func take(_ bytes: some Collection<UInt8>) {
        guard !isDiscarding else { return }
        if pending.count + bytes.count > maximumLineByteCount {
            pending = []
            isDiscarding = true
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func finishLine() -> Line {
        lineCount += 1
        defer {
            pending = []
            isDiscarding = false
        }
        return isDiscarding ? .overlong(number: lineCount) : .text(pending, number: lineCount)
    }
}
