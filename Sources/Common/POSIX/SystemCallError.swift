#if canImport(Glibc)
internal import Glibc
#endif

/// A failed system call on a file, with the path and the C error number, so callers can turn it into their
/// own error (`ENOENT` is "missing key", `EACCES` is "refused", anything else a plain failure).
package struct SystemCallError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `open`.
    package var operation: String
    package var path: String
    package var errorNumber: Int32

    /// Captures the current `errno`.
    package init(_ operation: String, path: String, errorNumber: Int32 = errno) {
        self.operation = operation
        self.path = path
        self.errorNumber = errorNumber
    }

    /// The C library's text for the error number, e.g. "No such file or directory".
    package var reason: String { Errno(rawValue: errorNumber).description }

    package var description: String { "\(operation) \(path): \(reason)" }
}
