#if canImport(Glibc)
internal import Glibc
#endif

/// A C error number, kept as a value so callers branch on it and print it the one same way.
package struct Errno: Error, Hashable, Sendable, CustomStringConvertible {
    package var rawValue: Int32

    package init(rawValue: Int32) { self.rawValue = rawValue }

    /// The calling thread's `errno` now.
    package static var current: Errno { Errno(rawValue: errno) }

    /// The C library's text, e.g. "No such file or directory".
    package var description: String {
        guard let text = strerror(rawValue) else { return "error \(rawValue)" }
        return String(cString: text)
    }
}
