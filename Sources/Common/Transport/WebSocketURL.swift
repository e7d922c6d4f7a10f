import ConclaveWire

/// A server URL as configured: `ws://host[:port][/path]` or `wss://…`, with IPv6 literals in brackets.
package struct WebSocketURL: Hashable, Sendable, CustomStringConvertible {
    package var isSecure: Bool
    /// The host without brackets.
    package var host: String
    package var port: UInt16
    /// The request target: path and query, `/` when the URL has none.
    package var path: String

    /// Parses a `ws://` or `wss://` URL. The default port is 80 or 443; user info and fragments are refused
    /// (RFC 6455 §3).
    package init(parsing text: String) throws(WebSocketURLError) {
        func invalid(_ why: String) -> WebSocketURLError { WebSocketURLError(url: text, reason: why) }
        let lowered = HTTPHeaderFields.lowercased(text)
        let rest: Substring
        if lowered.hasPrefix("ws://") {
            isSecure = false
            rest = text.dropFirst(5)
        } else if lowered.hasPrefix("wss://") {
            isSecure = true
            rest = text.dropFirst(6)
        } else {
            throw invalid("the scheme must be ws:// or wss://")
        }
        guard !text.contains("#") else { throw invalid("a WebSocket URL has no #fragment") }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            throw invalid("spaces and non-ASCII characters must be percent-encoded")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let target = rest[authorityEnd...]
        guard !authority.contains("@") else { throw invalid("user info (user@) is not supported") }
        let hostText: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw invalid("missing \"]\" after the IPv6 address")
            }
            hostText = authority[authority.index(after: authority.startIndex)..<close]
            let afterHost = authority[authority.index(after: close)...]
            if !afterHost.isEmpty {
                guard afterHost.hasPrefix(":") else { throw invalid("unexpected text after \"]\"") }
                portText = afterHost.dropFirst()
            }
            guard SocketAddress.isIPLiteral(String(hostText)), hostText.contains(":") else {
                throw invalid("\"[\(hostText)]\" is not an IPv6 address")
            }
        } else if let colon = authority.firstIndex(of: ":") {
            hostText = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            hostText = authority
        }
        guard !hostText.isEmpty else { throw invalid("no host") }
        if let portText {
            guard let port = HostAndPort.parsePort(portText), port != 0 else {
                throw invalid("the port must be a number 1-65535")
            }
            self.port = port
        } else {
            port = isSecure ? 443 : 80
        }
        host = String(hostText)
        path = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : String(target))
    }

    /// Where to connect.
    package var endpoint: HostAndPort { HostAndPort(host: host, port: port) }

    /// The URL in canonical form (default port omitted, path always present).
    package var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        let defaultPort: UInt16 = isSecure ? 443 : 80
        let portPart = port == defaultPort ? "" : ":\(port)"
        return "\(isSecure ? "wss" : "ws")://\(hostPart)\(portPart)\(path)"
    }
}

/// A server URL that cannot be used.
package struct WebSocketURLError: Error, CustomStringConvertible, Hashable, Sendable {
    package var url: String
    package var reason: String

    package var description: String { "invalid server URL \"\(url)\": \(reason)" }
}
