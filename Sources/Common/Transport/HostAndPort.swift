/// A host (name, IPv4 or IPv6 literal) and a TCP port, as written on a command line: `127.0.0.1:4390`,
/// `[::1]:0`, `example.org:443`.
package struct HostAndPort: Hashable, Sendable, CustomStringConvertible {
    /// The host without brackets (`::1`, not `[::1]`).
    package var host: String
    package var port: UInt16

    package init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT` or `[IPV6]:PORT`. A bare IPv6 literal without brackets is refused (its colons are
    /// ambiguous with the port separator).
    package init(parsing text: String) throws(TransportError) {
        func invalid(_ why: String) -> TransportError {
            TransportError(.resolve, "invalid address \"\(text)\": \(why)")
        }
        let hostText: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw invalid("missing \"]\" after the IPv6 address") }
            hostText = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw invalid("expected \":PORT\" after \"]\"") }
            portText = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw invalid("expected HOST:PORT") }
            hostText = text[..<colon]
            guard !hostText.contains(":") else { throw invalid("write an IPv6 address in brackets, e.g. [::1]:4390") }
            portText = text[text.index(after: colon)...]
        }
        guard !hostText.isEmpty else { throw invalid("empty host") }
        guard let port = HostAndPort.parsePort(portText) else { throw invalid("port must be a number 0-65535") }
        self.host = String(hostText)
        self.port = port
    }

    /// `host:port`, with an IPv6 literal in brackets.
    package var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Decimal digits only, at most 65535; nil otherwise.
    static func parsePort(_ text: Substring) -> UInt16? {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return UInt16(text)
    }
}
