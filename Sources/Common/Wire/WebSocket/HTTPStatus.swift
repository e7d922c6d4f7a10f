/// An HTTP status code with its reason phrase.
package struct HTTPStatus: Hashable, Sendable, CustomStringConvertible {
    package var code: Int
    package var reason: String

    package init(code: Int, reason: String) {
        self.code = code
        self.reason = reason
    }

    package static let switchingProtocols = HTTPStatus(code: 101, reason: "Switching Protocols")
    package static let ok = HTTPStatus(code: 200, reason: "OK")
    package static let badRequest = HTTPStatus(code: 400, reason: "Bad Request")
    package static let notFound = HTTPStatus(code: 404, reason: "Not Found")
    package static let methodNotAllowed = HTTPStatus(code: 405, reason: "Method Not Allowed")
    package static let upgradeRequired = HTTPStatus(code: 426, reason: "Upgrade Required")
    package static let requestHeaderFieldsTooLarge = HTTPStatus(code: 431, reason: "Request Header Fields Too Large")
    package static let internalServerError = HTTPStatus(code: 500, reason: "Internal Server Error")
    package static let serviceUnavailable = HTTPStatus(code: 503, reason: "Service Unavailable")

    /// `"404 Not Found"`.
    package var description: String { reason.isEmpty ? String(code) : "\(code) \(reason)" }
}
