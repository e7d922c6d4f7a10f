/// A parsed HTTP/1.1 request head, as a server sees it before deciding how to answer.
///
/// Routing is the caller's: `GET /` with a valid upgrade → `HTTPResponse.switchingProtocols`;
/// `GET /` without → 426; `GET /health` → 200 `ok`; other paths → 404; other methods → 405.
package struct HTTPRequest: Hashable, Sendable {
    package var method: String
    /// The request target as sent, e.g. `/health?verbose`.
    package var target: String
    /// `HTTP/1.1`, or `HTTP/1.0` (accepted for plain requests such as a load balancer's health check).
    package var version: String
    package var headers: HTTPHeaderFields

    package init(method: String, target: String, version: String = "HTTP/1.1", headers: HTTPHeaderFields) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
    }

    /// The target without its query string.
    package var path: String {
        String(target.prefix { $0 != "?" })
    }

    /// Whether the request asks for a WebSocket upgrade at all (`Upgrade: websocket`), valid or not.
    package var asksForWebSocket: Bool {
        headers.containsToken("websocket", in: "Upgrade")
    }

    /// Checks the upgrade headers (RFC 6455 §4.2.1) and returns the client's `Sec-WebSocket-Key`,
    /// for `HTTPResponse.switchingProtocols(key:serverID:)`.
    package func webSocketKey() throws(HTTPUpgradeError) -> String {
        guard method == "GET" else { throw HTTPUpgradeError(.notAnUpgrade, "method \(method)") }
        guard version == "HTTP/1.1" else { throw HTTPUpgradeError(.notAnUpgrade, "\(version) cannot upgrade") }
        // RFC 9112 §3.2: exactly one Host, else 400.
        guard headers.values(for: "Host").count == 1 else {
            throw HTTPUpgradeError(.malformedHead, "not exactly one Host header")
        }
        guard asksForWebSocket else { throw HTTPUpgradeError(.notAnUpgrade, "no Upgrade: websocket") }
        guard headers.containsToken("upgrade", in: "Connection") else {
            throw HTTPUpgradeError(.notAnUpgrade, "no Connection: upgrade")
        }
        guard headers.first("Sec-WebSocket-Version") == "13" else {
            throw HTTPUpgradeError(.unsupportedVersion, "Sec-WebSocket-Version is not 13")
        }
        let keys = headers.values(for: "Sec-WebSocket-Key")
        guard keys.count == 1, let key = keys.first, WebSocketHandshakeKey.isValid(key) else {
            throw HTTPUpgradeError(.invalidKey)
        }
        return key
    }
}
