/// The header fields of an HTTP/1.1 message head, in order; names compare case-insensitively.
package struct HTTPHeaderFields: Hashable, Sendable {
    /// One `name: value` line, the value with surrounding whitespace removed.
    package struct Field: Hashable, Sendable {
        package var name: String
        package var value: String

        package init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    package var fields: [Field]

    package init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Every value of the fields called `name`, in order.
    package func values(for name: String) -> [String] {
        let wanted = Self.lowercased(name)
        return fields.filter { Self.lowercased($0.name) == wanted }.map(\.value)
    }

    /// The first value of the field called `name`.
    package func first(_ name: String) -> String? {
        let wanted = Self.lowercased(name)
        return fields.first { Self.lowercased($0.name) == wanted }?.value
    }

    /// Whether the comma-separated token lists of the fields called `name` hold `token`
    /// (case-insensitive), as `Connection: keep-alive, Upgrade` holds `upgrade`.
    package func containsToken(_ token: String, in name: String) -> Bool {
        let wanted = Self.lowercased(token)
        return values(for: name).contains { value in
            value.split(separator: ",").contains { element in
                Self.lowercased(String(element).trimmingHTTPWhitespace()) == wanted
            }
        }
    }

    /// ASCII-only lowercasing: header names and tokens are ASCII, and `String.lowercased()` would
    /// apply Unicode rules to whatever else a peer sends.
    package static func lowercased(_ text: String) -> String {
        String(decoding: text.utf8.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP's OWS).
    func trimmingHTTPWhitespace() -> String {
        let bytes = Array(utf8)
        let isWhitespace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let start = bytes.firstIndex(where: { !isWhitespace($0) }),
              let end = bytes.lastIndex(where: { !isWhitespace($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }
}
