internal import Glibc
import ConclaveWire

/// A failure to reach a peer or to move bytes to or from it. One line, naming the peer and the cause.
public struct TransportError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What kind of failure this is; callers branch on it, the message is for people.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }

        /// The host name did not resolve, or the address text is malformed.
        public static let resolve = Code("resolve")
        /// The TCP connection was refused or failed.
        public static let connect = Code("connect")
        /// A deadline passed (connect, TLS handshake, upgrade).
        public static let timeout = Code("timeout")
        /// TLS failed for a reason other than the peer's certificate (setup, handshake, protocol).
        public static let tls = Code("tls")
        /// The peer's certificate was refused (untrusted, expired, wrong host name).
        public static let certificate = Code("certificate")
        /// The peer closed the connection.
        public static let closed = Code("closed")
        /// A read or write failed after the connection was established.
        public static let io = Code("io")
        /// The server answered the WebSocket upgrade with another status, or with an invalid 101.
        public static let upgrade = Code("upgrade")
        /// A message larger than the connection's limit was not sent.
        public static let tooLarge = Code("tooLarge")
        /// A local socket could not be created, bound or listened on.
        public static let listen = Code("listen")

        public var description: String { name }
    }

    public var code: Code
    public var message: String
    /// The HTTP status of a refused upgrade (`.upgrade`), else nil.
    public var httpStatus: HTTPStatus?

    public init(_ code: Code, _ message: String, httpStatus: HTTPStatus? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    public var description: String { message }

    /// The text of an errno value, e.g. "Connection refused".
    static func errnoText(_ value: Int32) -> String {
        String(cString: strerror(value))
    }
}
