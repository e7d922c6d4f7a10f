#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI

/// A failure of `conclave-connect`'s own plumbing (the `--socket` listener, the `--fifo` files, the event loop)
/// or of its command line, as opposed to the link's.
public struct ConnectError: ToolError, Hashable, Sendable {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        /// A flag value that cannot be used (status 64).
        public static let usage = Code(rawValue: "usage")
        /// The `--socket` path could not be served (status 1).
        public static let socket = Code(rawValue: "socket")
        /// The `--fifo` directory could not be set up (status 1).
        public static let fifo = Code(rawValue: "fifo")
        /// The event loop, a signal watch or standard input failed (status 1).
        public static let system = Code(rawValue: "system")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code`, with `what` and the text of the current `errno`.
    static func systemCall(_ code: Code, _ what: String, errorNumber: Int32 = errno) -> ConnectError {
        let reason = strerror(errorNumber).map { String(cString: $0) } ?? "error \(errorNumber)"
        return ConnectError(code, "\(what): \(reason)")
    }

    public var exitStatus: ExitStatus { code == .usage ? .usage : .failure }
    public var description: String { message }
}
