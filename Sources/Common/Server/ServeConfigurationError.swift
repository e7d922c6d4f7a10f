import ConclaveCLI

/// A flag or environment variable of `conclave-serve` that cannot be used. Always a usage error (status 64).
package struct ServeConfigurationError: ToolError, Hashable {
    /// Which rule the flag or variable broke.
    package struct Code: Hashable, Sendable {
        private let rawValue: String
        private init(rawValue: String) { self.rawValue = rawValue }

        /// Two of `--store`, `--data-dir` and `--ephemeral`.
        package static let conflictingStorage = Code(rawValue: "conflicting storage")
        /// No data directory given and none can be derived (no `XDG_DATA_HOME`, no `HOME`).
        package static let noDataDirectory = Code(rawValue: "no data directory")
        /// A `--store` or `CONCLAVE_STORE` URL that is not `postgres://` or `postgresql://`.
        package static let invalidStore = Code(rawValue: "invalid store")
        /// A data directory path that is empty or contains a NUL byte.
        package static let invalidDataDirectory = Code(rawValue: "invalid data directory")
        /// `--bind` or `CONCLAVE_BIND` that is not `HOST:PORT`.
        package static let invalidBind = Code(rawValue: "invalid bind address")
        /// An admin entry whose username is not a valid name component (PROTOCOL.md §5.2).
        package static let invalidAdmin = Code(rawValue: "invalid admin")
        /// An admin entry whose pinned key is not strict base64url of 32 bytes.
        package static let invalidPinnedKey = Code(rawValue: "invalid pinned key")
        /// One admin name pinned to two different keys.
        package static let conflictingPins = Code(rawValue: "conflicting pins")
        /// `--tls-cert` without `--tls-key`, or the reverse.
        package static let incompleteTLS = Code(rawValue: "incomplete TLS")
        /// A timer value that is not a positive number of seconds.
        package static let invalidDuration = Code(rawValue: "invalid duration")
        /// A queue limit that is not a positive whole number.
        package static let invalidLimit = Code(rawValue: "invalid limit")
        /// `--sync` or `CONCLAVE_SYNC` other than `normal` or `full`.
        package static let invalidSync = Code(rawValue: "invalid sync mode")
        /// `-q` together with `-v`.
        package static let conflictingVerbosity = Code(rawValue: "conflicting verbosity")
    }

    /// Which rule the flag or variable broke.
    package var code: Code
    /// One line naming the flag or variable and the value that was wrong.
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var exitStatus: ExitStatus { .usage }
    package var description: String { message }
}
