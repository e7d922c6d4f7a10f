import ConclaveCLI

/// Why `conclave-serve` could not start or had to stop.
package struct ServeError: ToolError, Hashable {
    /// Which part of the server failed.
    package struct Code: Hashable, Sendable {
        private let rawValue: String
        private init(rawValue: String) { self.rawValue = rawValue }

        /// The store could not be opened or read.
        package static let store = Code(rawValue: "store")
        /// The listening socket could not be bound.
        package static let listen = Code(rawValue: "listen")
        /// The TLS certificate or key could not be loaded.
        package static let tls = Code(rawValue: "tls")
        /// The event loop or the signal descriptor failed.
        package static let eventLoop = Code(rawValue: "event loop")
    }

    /// Which part of the server failed.
    package var code: Code
    /// One line naming what failed and where (path, address).
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Unreadable TLS files are missing configuration (66); everything else is a plain failure (1).
    package var exitStatus: ExitStatus { code == .tls ? .noInput : .failure }
    package var description: String { message }
}
