import ConclaveCLI

/// A flag or environment variable of `conclave-serve` that cannot be used. Always a usage error (status 64).
public struct ServeConfigurationError: ToolError, Hashable {
    /// Which rule the flag or variable broke.
    public struct Code: Hashable, Sendable {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// `--data-dir` together with `--ephemeral`.
        public static let conflictingStorage = Code(rawValue: "conflicting storage")
        /// No data directory given and none can be derived (no `XDG_DATA_HOME`, no `HOME`).
        public static let noDataDirectory = Code(rawValue: "no data directory")
        /// A data directory path that is empty or contains a NUL byte.
        public static let invalidDataDirectory = Code(rawValue: "invalid data directory")
        /// `--bind` or `CONCLAVE_BIND` that is not `HOST:PORT`.
        public static let invalidBind = Code(rawValue: "invalid bind address")
        /// An admin entry whose username is not a valid name component (PROTOCOL.md §5.2).
        public static let invalidAdmin = Code(rawValue: "invalid admin")
        /// An admin entry whose pinned key is not strict base64url of 32 bytes.
        public static let invalidPinnedKey = Code(rawValue: "invalid pinned key")
        /// One admin name pinned to two different keys.
        public static let conflictingPins = Code(rawValue: "conflicting pins")
        /// `--tls-cert` without `--tls-key`, or the reverse.
        public static let incompleteTLS = Code(rawValue: "incomplete TLS")
        /// A timer value that is not a positive number of seconds.
        public static let invalidDuration = Code(rawValue: "invalid duration")
        /// A queue limit that is not a positive whole number.
        public static let invalidLimit = Code(rawValue: "invalid limit")
        /// `-q` together with `-v`.
        public static let conflictingVerbosity = Code(rawValue: "conflicting verbosity")
    }

    /// Which rule the flag or variable broke.
    public var code: Code
    /// One line naming the flag or variable and the value that was wrong.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var exitStatus: ExitStatus { .usage }
    public var description: String { message }
}
