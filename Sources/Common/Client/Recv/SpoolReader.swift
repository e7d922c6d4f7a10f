#if canImport(Glibc)
internal import Glibc
#endif

/// Reads the `out` spool of a `conclave-connect --fifo DIR` from a saved position (`conclave-recv -i FILE
/// --cursor`): whole lines only, each with the position just after it. A spool that was replaced or truncated
/// since the position was saved is read again from its beginning, with a warning, rather than skipped into.
final class SpoolReader {
    private static let chunkByteCount = 65_536

    private let path: String
    private let warn: (String) -> Void
    private var descriptor: Int32 = -1
    private var device: UInt64 = 0
    private var inode: UInt64 = 0
    /// Just after the last whole line returned.
    private var offset: Int64 = 0
    /// The bytes of an unfinished line read after `offset`.
    private var pending: [UInt8] = []
    /// The last bytes before `offset`, for `SpoolPosition.tail`.
    private var tail: [UInt8] = []
    private var lineNumber = 0

    /// Opens the spool at `path` and goes to `position` when it still fits the spool.
    init(path: String, resumingFrom position: SpoolPosition?, warn: @escaping (String) -> Void) throws(RecvError) {
        self.path = path
        self.warn = warn
        try open()
        guard let position else { return }
        if let problem = problem(resuming: position) {
            warn("\(path) \(problem) since the cursor was saved: reading it from its beginning")
        } else {
            offset = position.offset
            tail = position.tail
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Where the next run goes on from.
    var position: SpoolPosition {
        SpoolPosition(device: device, inode: inode, offset: offset, tail: tail)
    }

    /// The whole lines written since the last call, each with the position after it. A spool replaced or cut
    /// short meanwhile (a new `conclave-connect` on the same directory) is started again from its beginning.
    func nextLines() throws(RecvError) -> [(line: LineSplitter.Line, position: SpoolPosition)] {
        var current = stat()
        if stat(path, &current) == 0, UInt64(current.st_ino) != inode || UInt64(current.st_dev) != device
            || Int64(current.st_size) < offset + Int64(pending.count) {
            warn("\(path) was replaced or truncated: reading it from its beginning")
            close(descriptor)
            try open()
            (offset, pending, tail) = (0, [], [])
        }
        var lines: [(line: LineSplitter.Line, position: SpoolPosition)] = []
        var buffer = [UInt8](repeating: 0, count: Self.chunkByteCount)
        while true {
            let count = buffer.withUnsafeMutableBytes { bytes in
                pread(descriptor, bytes.baseAddress, bytes.count, off_t(offset) + off_t(pending.count))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw RecvError(.input, "cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return lines }
            var start = 0
            for index in 0..<count where buffer[index] == UInt8(ascii: "\n") {
                pending += buffer[start..<index]
                offset += Int64(pending.count + 1)
                tail = Array((tail + pending + [UInt8(ascii: "\n")]).suffix(SpoolPosition.tailByteCount))
                lineNumber += 1
                lines.append((.text(pending, number: lineNumber), position))
                pending = []
                start = index + 1
            }
            pending += buffer[start..<count]
        }
    }

    private func open() throws(RecvError) {
        descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw RecvError(.input, "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        fstat(descriptor, &info)
        (device, inode) = (UInt64(info.st_dev), UInt64(info.st_ino))
    }

    /// Why `position` does not fit the spool now open, or nil when it does.
    private func problem(resuming position: SpoolPosition) -> String? {
        if position.device != device || position.inode != inode { return "was replaced" }
        let tailCount = position.tail.count
        guard Int64(tailCount) <= position.offset else { return "was replaced" }
        var bytes = [UInt8](repeating: 0, count: tailCount + 1)
        let count = bytes.withUnsafeMutableBytes { buffer in
            pread(descriptor, buffer.baseAddress, buffer.count, off_t(position.offset) - off_t(tailCount))
        }
        if count < tailCount { return "was truncated" }
        return Array(bytes.prefix(tailCount)) == position.tail ? nil : "was rewritten"
    }
}
