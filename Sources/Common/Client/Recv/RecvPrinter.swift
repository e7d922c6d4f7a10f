import ConclaveCLI
import ConclaveWire

/// Writes `conclave-recv`'s records in the chosen style, one flushed write each, and counts the messages
/// among them for `-C` (TOOLS.md: every printed message counts, history rows included).
final class RecvPrinter {
    /// Why printing stopped.
    enum Stop: Hashable {
        /// `-C N` messages were printed.
        case countReached
        /// Nobody reads stdout any more.
        case outputClosed
        /// stdout failed otherwise.
        case failed(RecordWriterError)
    }

    private let style: RecordStyle
    private let writer: RecordWriter
    private let countLimit: Int?
    private(set) var printedMessages = 0
    private(set) var stop: Stop?

    init(style: RecordStyle, terminator: UInt8, countLimit: Int?, fileDescriptor: Int32 = 1) {
        self.style = style
        writer = RecordWriter(fileDescriptor: fileDescriptor, terminator: terminator)
        self.countLimit = countLimit
    }

    /// Prints a `channel_msg` or `whisper` record; nothing once stopped.
    func printMessage(_ object: JSONObject) {
        guard write(style.render(object)) else { return }
        printedMessages += 1
        if let countLimit, printedMessages >= countLimit { stop = .countReached }
    }

    /// Prints a local event (`--events`, `history_end`): NDJSON in every style.
    func printEvent(_ object: JSONObject) {
        write(JSONValue.object(object).serialized())
    }

    @discardableResult
    private func write(_ text: String) -> Bool {
        guard stop == nil else { return false }
        do {
            try writer.write(text)
            return true
        } catch {
            stop = error.code == .outputClosed ? .outputClosed : .failed(error)
            return false
        }
    }
}
