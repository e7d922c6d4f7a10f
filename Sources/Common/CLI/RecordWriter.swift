#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// Writes data records to stdout, each followed by its terminator and written out at once (no buffering), so a
/// reader downstream sees every record as soon as it exists.
package final class RecordWriter {
    private let fileDescriptor: Int32
    private let terminator: UInt8

    /// `fileDescriptor` is stdout (1) except in tests; `terminator` ends every record: a newline, or NUL for `-0`.
    package init(fileDescriptor: Int32 = 1, terminator: UInt8 = UInt8(ascii: "\n")) {
        self.fileDescriptor = fileDescriptor
        self.terminator = terminator
    }

    /// Writes `record` and its terminator. A closed stdout (`| head -1`, `>&-`) throws `OutputClosed`, which
    /// `ToolMain` turns into a quiet exit with status 0.
    package func write(_ record: String) throws(RecordWriterError) {
        var bytes = Array(record.utf8)
        try write(&bytes)
    }

    /// Writes the UTF-8 record in `record` and its terminator, which is appended to it: a caller that makes one
    /// record after another can fill the same buffer again (`removeAll(keepingCapacity: true)`).
    package func write(_ record: inout [UInt8]) throws(RecordWriterError) {
        record.append(terminator)
        let outcome = record.withUnsafeBytes { buffer in
            Result { () throws(RecordWriterError) in try writeAll(buffer) }
        }
        try outcome.get()
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws(RecordWriterError) {
        do {
            try ConclavePOSIX.writeAll(bytes, to: fileDescriptor)
        } catch {
            let closed = error.rawValue == EPIPE || error.rawValue == EBADF
            throw RecordWriterError(code: closed ? .outputClosed : .writeFailed, errorNumber: error.rawValue)
        }
    }
}

/// Standard output could not take a record.
package struct RecordWriterError: ToolError, Hashable {
    /// Why the record could not be written.
    package struct Code: Hashable, Sendable {
        private let rawValue: String
        /// The reader went away or stdout was never open: the tool ends quietly with status 0.
        package static let outputClosed = Code(rawValue: "output closed")
        /// Any other write error (a full disk, an I/O error).
        package static let writeFailed = Code(rawValue: "write failed")
    }

    package var code: Code
    /// The `errno` of the failed `write(2)`.
    package var errorNumber: Int32

    package var exitStatus: ExitStatus { code == .outputClosed ? .success : .failure }

    package var description: String {
        "cannot write to standard output: \(Errno(rawValue: errorNumber))"
    }
}
