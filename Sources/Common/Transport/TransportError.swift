internal import Glibc
import ConclavePOSIX
import ConclaveWire

/// A failure to reach a peer or to move bytes to or from it. One line, naming the peer and the cause.
package struct TransportError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What kind of failure this is; callers branch on it, the message is for people.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case resolve, connect, timeout, tls, certificate, closed, io, upgrade, tooLarge, listen
        }

        private let storage: Storage

        private init(_ storage: Storage) { self.storage = storage }

        /// The host name did not resolve, or the address text is malformed.
        package static let resolve = Code(.resolve)
        /// The TCP connection was refused or failed.
        package static let connect = Code(.connect)
        /// A deadline passed (connect, TLS handshake, upgrade).
        package static let timeout = Code(.timeout)
        /// TLS failed for a reason other than the peer's certificate (setup, handshake, protocol).
        package static let tls = Code(.tls)
        /// The peer's certificate was refused (untrusted, expired, wrong host name).
        package static let certificate = Code(.certificate)
        /// The peer closed the connection.
        package static let closed = Code(.closed)
        /// A read or write failed after the connection was established.
        package static let io = Code(.io)
        /// The server answered the WebSocket upgrade with another status, or with an invalid 101.
        package static let upgrade = Code(.upgrade)
        /// A message larger than the connection's limit was not sent.
        package static let tooLarge = Code(.tooLarge)
        /// A local socket could not be created, bound or listened on.
        package static let listen = Code(.listen)

        package var description: String { "\(storage)" }

        /// The value given for this code. Every code is a parameter, so a code added later fails to compile at
        /// every caller instead of falling into a `default:`.
        package func select<Value>(
            resolve: Value,
            connect: Value,
            timeout: Value,
            tls: Value,
            certificate: Value,
            closed: Value,
            io: Value,
            upgrade: Value,
            tooLarge: Value,
            listen: Value
        ) -> Value {
            switch storage {
            case .resolve: resolve
            case .connect: connect
            case .timeout: timeout
            case .tls: tls
            case .certificate: certificate
            case .closed: closed
            case .io: io
            case .upgrade: upgrade
            case .tooLarge: tooLarge
            case .listen: listen
            }
        }
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
