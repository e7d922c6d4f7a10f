/// Builders for the few responses a WebSocket server sends before (or instead of) upgrading.
package enum HTTPResponse {
    /// The 101 that completes the upgrade, with the accept value for the client's key and the
    /// optional `x-conclave-server-id` (PROTOCOL.md §2.3).
    package static func switchingProtocols(key: String, serverID: String? = nil) -> [UInt8] {
        var head = "HTTP/1.1 101 Switching Protocols\r\n"
        head += "Upgrade: websocket\r\n"
        head += "Connection: Upgrade\r\n"
        head += "Sec-WebSocket-Accept: \(WebSocketHandshakeKey.acceptValue(forKey: key))\r\n"
        if let serverID { head += "x-conclave-server-id: \(serverID)\r\n" }
        head += "\r\n"
        return Array(head.utf8)
    }

    /// A complete response that ends the connection (`Connection: close`), e.g. `/health`'s
    /// `200 ok`, a 404, or an upgrade refusal.
    ///
    /// - Parameter extraHeaders: further `(name, value)` pairs, e.g. `("Allow", "GET")` with a 405.
    package static func plain(
        _ status: HTTPStatus, contentType: String = "text/plain; charset=utf-8", body: [UInt8],
        extraHeaders: [(String, String)] = []
    ) -> [UInt8] {
        var head = "HTTP/1.1 \(status)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(body.count)\r\n"
        for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
        head += "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }

    /// A plain response with a text body.
    package static func plain(_ status: HTTPStatus, text: String, extraHeaders: [(String, String)] = []) -> [UInt8] {
        plain(status, body: Array(text.utf8), extraHeaders: extraHeaders)
    }

    /// The refusal for a failed upgrade request: its `responseStatus`, and for a version mismatch
    /// the `Sec-WebSocket-Version: 13` RFC 6455 §4.4 asks for.
    package static func refusal(for error: HTTPUpgradeError) -> [UInt8] {
        let status = error.responseStatus
        var extra: [(String, String)] = []
        if error.code == .unsupportedVersion { extra.append(("Sec-WebSocket-Version", "13")) }
        if status == .upgradeRequired { extra.append(("Upgrade", "websocket")) }
        return plain(status, text: "\(status.reason)\n", extraHeaders: extra)
    }
}
