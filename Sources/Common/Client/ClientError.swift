#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclavePOSIX

/// A failure of a client tool's own plumbing (`conclave-connect`'s `--socket` listener and `--fifo` files, the
/// event loop) or of its command line, as opposed to the link's.
package struct ClientError: ToolError, Hashable, Sendable {
    package struct Code: Hashable, Sendable {
        private let rawValue: String
        /// A flag value that cannot be used (status 64).
        package static let usage = Code(rawValue: "usage")
        /// The `--socket` path could not be served (status 1).
        package static let socket = Code(rawValue: "socket")
        /// The `--fifo` directory could not be set up (status 1).
        package static let fifo = Code(rawValue: "fifo")
        /// The event loop, a signal watch or standard input failed (status 1).
        package static let system = Code(rawValue: "system")
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code`, with `what` and the text of the current `errno`.
    static func systemCall(_ code: Code, _ what: String, errorNumber: Int32 = errno) -> ClientError {
        ClientError(code, "\(what): \(Errno(rawValue: errorNumber))")
    }

    package var exitStatus: ExitStatus { code == .usage ? .usage : .failure }
    package var description: String { message }
}
