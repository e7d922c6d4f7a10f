import ConclaveCLI

/// Why `conclave-serve` could not start or had to stop.
public struct ServeError: ToolError, Hashable {
    /// Which part of the server failed.
    public struct Code: Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The store could not be opened or read.
        public static let store = Code(rawValue: "store")
        /// The listening socket could not be bound.
        public static let listen = Code(rawValue: "listen")
        /// The TLS certificate or key could not be loaded.
        public static let tls = Code(rawValue: "tls")
        /// The event loop or the signal descriptor failed.
        public static let eventLoop = Code(rawValue: "event loop")
    }

    /// Which part of the server failed.
    public var code: Code
    /// One line naming what failed and where (path, address).
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Unreadable TLS files are missing configuration (66); everything else is a plain failure (1).
    public var exitStatus: ExitStatus { code == .tls ? .noInput : .failure }
    public var description: String { message }
}
