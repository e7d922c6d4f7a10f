internal import Glibc
import ConclavePOSIX
import ConclaveWire

/// A failure to reach a peer or to move bytes to or from it. One line, naming the peer and the cause.
package struct TransportError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What kind of failure this is; callers branch on it, the message is for people.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let name: String
        private init(_ name: String) { self.name = name }

        /// The host name did not resolve, or the address text is malformed.
        package static let resolve = Code("resolve")
        /// The TCP connection was refused or failed.
        package static let connect = Code("connect")
        /// A deadline passed (connect, TLS handshake, upgrade).
        package static let timeout = Code("timeout")
        /// TLS failed for a reason other than the peer's certificate (setup, handshake, protocol).
        package static let tls = Code("tls")
        /// The peer's certificate was refused (untrusted, expired, wrong host name).
        package static let certificate = Code("certificate")
        /// The peer closed the connection.
        package static let closed = Code("closed")
        /// A read or write failed after the connection was established.
        package static let io = Code("io")
        /// The server answered the WebSocket upgrade with another status, or with an invalid 101.
        package static let upgrade = Code("upgrade")
        /// A message larger than the connection's limit was not sent.
        package static let tooLarge = Code("tooLarge")
        /// A local socket could not be created, bound or listened on.
        package static let listen = Code("listen")

        package var description: String { name }
    }

    package var code: Code
    package var message: String
    /// The HTTP status of a refused upgrade (`.upgrade`), else nil.
    package var httpStatus: HTTPStatus?

    package init(_ code: Code, _ message: String, httpStatus: HTTPStatus? = nil) {
        self.code = code
        self.message = message
        self.httpStatus = httpStatus
    }

    package var description: String { message }

    /// The text of an errno value, e.g. "Connection refused".
    static func errnoText(_ value: Int32) -> String {
        Errno(rawValue: value).description
    }
}
