/// A failed HTTP/1.1 upgrade to WebSocket, on either side.
///
/// On the server each code maps to the status to answer with (`responseStatus`); on the client
/// `.refused` carries the server's status, e.g. `server refused the WebSocket upgrade: HTTP 404 Not Found`.
package struct HTTPUpgradeError: Error, CustomStringConvertible, Hashable, Sendable {
    /// What kind of failure this is.
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        package let rawValue: Int
        package let description: String

        private init(_ rawValue: Int, _ description: String) {
            self.rawValue = rawValue
            self.description = description
        }

        /// The head broke HTTP/1.1 syntax (bad start line, obs-fold, a bad field line).
        package static let malformedHead = Code(1, "malformed HTTP message head")
        /// The head did not end within the size cap.
        package static let headTooLarge = Code(2, "HTTP message head too large")
        /// Server side: a request without the upgrade to WebSocket.
        package static let notAnUpgrade = Code(3, "not a WebSocket upgrade request")
        /// Server side: `Sec-WebSocket-Version` other than 13.
        package static let unsupportedVersion = Code(4, "unsupported WebSocket version")
        /// Server side: `Sec-WebSocket-Key` missing or not 16 bytes of base64.
        package static let invalidKey = Code(5, "invalid Sec-WebSocket-Key")
        /// Client side: the server answered with a status other than 101.
        package static let refused = Code(6, "server refused the WebSocket upgrade")
        /// Client side: a 101 response that does not complete the handshake.
        package static let invalidResponse = Code(7, "invalid WebSocket upgrade response")
        /// Client side: a host or path that cannot go into a request line.
        package static let invalidTarget = Code(8, "invalid WebSocket URL")

        package static func == (lhs: Code, rhs: Code) -> Bool { lhs.rawValue == rhs.rawValue }
        package func hash(into hasher: inout Hasher) { hasher.combine(rawValue) }
    }

    package var code: Code
    /// The status the server sent (`.refused`), else `nil`.
    package var status: HTTPStatus?
    /// What exactly was wrong.
    package var detail: String

    package init(_ code: Code, status: HTTPStatus? = nil, _ detail: String = "") {
        self.code = code
        self.status = status
        self.detail = detail
    }

    /// Server side: the status of the plain response that refuses this request.
    package var responseStatus: HTTPStatus {
        switch code {
        case .headTooLarge: .requestHeaderFieldsTooLarge
        case .notAnUpgrade, .unsupportedVersion: .upgradeRequired
        default: .badRequest
        }
    }

    package var description: String {
        if let status { return "\(code): HTTP \(status)" }
        return detail.isEmpty ? "\(code)" : "\(code) (\(detail))"
    }
}
