import ConclaveCLI
import ConclaveIdentity
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
    private let deliveries: DeliveryRecordEncoder
    private let countLimit: Int?
    /// The bytes of the record being written, kept from one NDJSON delivery to the next.
    private var record: [UInt8] = []
    private(set) var printedMessages = 0
    private(set) var stop: Stop?

    /// `formatter` makes the records of deliveries.
    init(
        style: RecordStyle, terminator: UInt8, countLimit: Int?, formatter: RecordFormatter, fileDescriptor: Int32 = 1
    ) {
        self.style = style
        writer = RecordWriter(fileDescriptor: fileDescriptor, terminator: terminator)
        deliveries = DeliveryRecordEncoder(formatter: formatter)
        self.countLimit = countLimit
    }

    /// Prints the record of a `channel_msg` or `whisper` delivered with `permission` (`historyTsMs`: the server
    /// time of a history row); nothing once stopped.
    func printDelivery(
        _ frame: ProtocolMessage, permission: PermissionLevel, receivedAtMs: Int64, historyTsMs: Int64?
    ) {
        guard stop == nil else { return }
        guard style == .json else {
            return printMessage(
                deliveries.record(frame, permission: permission, receivedAtMs: receivedAtMs, historyTsMs: historyTsMs))
        }
        // Written straight from the frame: a JSON object and a jansson tree per message cost most of the CPU.
        record.removeAll(keepingCapacity: true)
        deliveries.append(frame, permission: permission, receivedAtMs: receivedAtMs, historyTsMs: historyTsMs,
                          to: &record)
        countMessage(written: write { () throws(RecordWriterError) in try writer.write(&record) })
    }

    /// Prints a `channel_msg` or `whisper` record; nothing once stopped.
    func printMessage(_ object: JSONObject) {
        let text = style.render(object)
        countMessage(written: write { () throws(RecordWriterError) in try writer.write(text) })
    }

    /// Prints a local event (`--events`, `history_end`): NDJSON in every style.
    func printEvent(_ object: JSONObject) {
        let text = JSONValue.object(object).serialized()
        write { () throws(RecordWriterError) in try writer.write(text) }
    }

    private func countMessage(written: Bool) {
        guard written else { return }
        printedMessages += 1
        if let countLimit, printedMessages >= countLimit { stop = .countReached }
    }

    /// Runs `writeRecord` unless stopped; false when nothing was written.
    @discardableResult
    private func write(_ writeRecord: () throws(RecordWriterError) -> Void) -> Bool {
        guard stop == nil else { return false }
        do {
            try writeRecord()
            return true
        } catch {
            stop = error.code == .outputClosed ? .outputClosed : .failed(error)
            return false
        }
    }
}
