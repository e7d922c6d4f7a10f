#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// `DIR/out` of `--fifo`: an append-only NDJSON log of every record printed on stdout, for `tail -f`.
final class RecordLog {
    package let path: String
    private let fileDescriptor: Int32
    private var hasFailed = false

    init(path: String) throws(ClientError) {
        fileDescriptor = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0o600)
        guard fileDescriptor >= 0 else { throw .systemCall(.fifo, "cannot open \(path)") }
        self.path = path
    }

    deinit { close(fileDescriptor) }

    /// Appends one line (with its `\n`) in a single write, so a reader never sees half a record. Returns the
    /// error text the first time a write fails (a full disk), nil otherwise; the log then stays silent.
    func append(_ line: [UInt8]) -> String? {
        guard !hasFailed else { return nil }
        do {
            try writeAll(line, to: fileDescriptor)
            return nil
        } catch {
            hasFailed = true
            return ClientError.systemCall(.fifo, "cannot append to \(path)", errorNumber: error.rawValue).message
        }
    }
}
