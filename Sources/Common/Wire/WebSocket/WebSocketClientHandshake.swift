/// The client side of the HTTP/1.1 upgrade: the request to write, then the response to read.
package struct WebSocketClientHandshake: Sendable {
    /// What a successful upgrade yields.
    package struct Upgraded: Hashable, Sendable {
        /// The server's `x-conclave-server-id`, when it sent one (PROTOCOL.md §2.3).
        package var serverID: String?
        /// Bytes after the response head: the first WebSocket frames, for `WebSocketConnection.receive`.
        package var leftover: [UInt8]
    }

    /// The `Sec-WebSocket-Key` this request sends.
    package let key: String
    /// The request bytes to write.
    package let request: [UInt8]
    private var reader: HTTPHeadReader

    /// Builds the upgrade request for `ws[s]://host[:port]path`.
    ///
    /// - Parameters:
    ///   - port: omitted from `Host` when it is the scheme's default (80, or 443 when `isSecure`).
    ///   - path: the request target; empty means `/`.
    ///   - key: the handshake key; a fresh random one unless a test fixes it.
    package init(
        host: String, port: Int, path: String, isSecure: Bool, key: String = WebSocketHandshakeKey.generate(),
        maximumHeadSize: Int = HTTPRequestParser.defaultMaximumHeadSize
    ) throws(HTTPUpgradeError) {
        let target = path.isEmpty ? "/" : path
        guard target.utf8.first == UInt8(ascii: "/"), target.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw HTTPUpgradeError(.invalidTarget, "path \(target)")
        }
        guard !host.isEmpty, host.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "/") }) else {
            throw HTTPUpgradeError(.invalidTarget, "host \(host)")
        }
        // An IPv6 literal needs brackets in Host (RFC 9110 §7.2 via RFC 3986 §3.2.2).
        let hostName = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        let defaultPort = isSecure ? 443 : 80
        let hostField = port == defaultPort ? hostName : "\(hostName):\(port)"
        var head = "GET \(target) HTTP/1.1\r\n"
        head += "Host: \(hostField)\r\n"
        head += "Upgrade: websocket\r\n"
        head += "Connection: Upgrade\r\n"
        head += "Sec-WebSocket-Key: \(key)\r\n"
        head += "Sec-WebSocket-Version: 13\r\n\r\n"
        self.key = key
        request = Array(head.utf8)
        reader = HTTPHeadReader(maximumSize: maximumHeadSize)
    }

    /// Adds response bytes; returns the upgrade result once the response head is complete and
    /// valid. A status other than 101 throws `.refused` carrying that status.
    package mutating func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTPUpgradeError) -> Upgraded? {
        guard let head = try reader.receive(bytes) else { return nil }
        let status = try Self.parseStatusLine(head.startLine)
        guard status.code == 101 else { throw HTTPUpgradeError(.refused, status: status) }
        let fields = head.fields
        guard fields.containsToken("websocket", in: "Upgrade") else {
            throw HTTPUpgradeError(.invalidResponse, "no Upgrade: websocket")
        }
        guard fields.containsToken("upgrade", in: "Connection") else {
            throw HTTPUpgradeError(.invalidResponse, "no Connection: upgrade")
        }
        guard fields.values(for: "Sec-WebSocket-Accept") == [WebSocketHandshakeKey.acceptValue(forKey: key)] else {
            throw HTTPUpgradeError(.invalidResponse, "wrong Sec-WebSocket-Accept")
        }
        // RFC 6455 §4.1: we asked for neither, so a server naming one failed the handshake.
        guard fields.first("Sec-WebSocket-Extensions") == nil else {
            throw HTTPUpgradeError(.invalidResponse, "unrequested Sec-WebSocket-Extensions")
        }
        guard fields.first("Sec-WebSocket-Protocol") == nil else {
            throw HTTPUpgradeError(.invalidResponse, "unrequested Sec-WebSocket-Protocol")
        }
        return Upgraded(serverID: fields.first("x-conclave-server-id"), leftover: head.leftover)
    }

    /// Adds response bytes; see `receive(_:)` above.
    package mutating func receive(_ bytes: [UInt8]) throws(HTTPUpgradeError) -> Upgraded? {
        let result = bytes.withUnsafeBytes { bytes in
            Result { () throws(HTTPUpgradeError) in try receive(bytes) }
        }
        return try result.get()
    }

    /// `HTTP/1.1 404 Not Found` → 404, "Not Found".
    private static func parseStatusLine(_ line: [UInt8]) throws(HTTPUpgradeError) -> HTTPStatus {
        let malformed = HTTPUpgradeError(.malformedHead, "status line is not `HTTP/1.x NNN reason`")
        guard line.count >= 12, line.starts(with: "HTTP/1.".utf8), line[8] == UInt8(ascii: " ") else { throw malformed }
        let digits = line[9..<12]
        guard digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { throw malformed }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        guard line.count == 12 || line[12] == UInt8(ascii: " ") else { throw malformed }
        // The reason ends up in an error message on a terminal: no control characters.
        let reasonBytes = line.count > 13 ? line[13...].map { $0 < 0x20 || $0 == 0x7F ? UInt8(ascii: "?") : $0 } : []
        let reason = String(decoding: reasonBytes, as: UTF8.self)
        return HTTPStatus(code: code, reason: reason)
    }
}
