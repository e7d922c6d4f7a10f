/// Collects an HTTP/1.1 message head from byte chunks and splits it into its start line and
/// header fields; bytes after the blank line are kept as leftover for the next protocol.
struct HTTPHeadReader: Sendable {
    /// A complete head.
    struct Head: Sendable {
        var startLine: [UInt8]
        var fields: HTTPHeaderFields
        var leftover: [UInt8]
    }

    let maximumSize: Int
    private var buffer: [UInt8] = []
    /// Where the search for the blank line resumes, so each byte is scanned once.
    private var scanFrom = 0

    init(maximumSize: Int) {
        self.maximumSize = maximumSize
    }

    /// Adds bytes; returns the head once its blank line has arrived.
    mutating func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTPUpgradeError) -> Head? {
        buffer.append(contentsOf: bytes)
        guard let end = findEndOfHead() else {
            guard buffer.count <= maximumSize else {
                throw HTTPUpgradeError(.headTooLarge, "no end of head within \(maximumSize) bytes")
            }
            return nil
        }
        guard end <= maximumSize else {
            throw HTTPUpgradeError(.headTooLarge, "head of \(end) bytes exceeds \(maximumSize)")
        }
        let leftover = Array(buffer[end...])
        var lines = try Self.splitLines(buffer[..<(end - 4)])
        buffer = []
        scanFrom = 0
        // RFC 9112 §2.2: empty lines before the start line are ignored.
        while lines.first?.isEmpty == true { lines.removeFirst() }
        guard let startLine = lines.first else { throw HTTPUpgradeError(.malformedHead, "no start line") }
        var fields: [HTTPHeaderFields.Field] = []
        for line in lines.dropFirst() {
            fields.append(try Self.parseField(line))
        }
        return Head(startLine: startLine, fields: HTTPHeaderFields(fields), leftover: leftover)
    }

    /// The index just past `\r\n\r\n`, if present.
    private mutating func findEndOfHead() -> Int? {
        let count = buffer.count
        var index = scanFrom
        while index + 4 <= count {
            if buffer[index] == 0x0D, buffer[index + 1] == 0x0A, buffer[index + 2] == 0x0D, buffer[index + 3] == 0x0A {
                return index + 4
            }
            index += 1
        }
        scanFrom = max(0, count - 3)
        return nil
    }

    /// Splits on CRLF; a bare CR or LF anywhere is refused.
    private static func splitLines(_ head: ArraySlice<UInt8>) throws(HTTPUpgradeError) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = head.startIndex
        while index < head.endIndex {
            let byte = head[index]
            if byte == 0x0D {
                guard index + 1 < head.endIndex, head[index + 1] == 0x0A else {
                    throw HTTPUpgradeError(.malformedHead, "bare CR in line \(lines.count + 1)")
                }
                lines.append(line)
                line = []
                index += 2
                continue
            }
            guard byte != 0x0A else { throw HTTPUpgradeError(.malformedHead, "bare LF in line \(lines.count + 1)") }
            line.append(byte)
            index += 1
        }
        lines.append(line)
        return lines
    }

    private static func parseField(_ line: [UInt8]) throws(HTTPUpgradeError) -> HTTPHeaderFields.Field {
        if let first = line.first, first == 0x20 || first == 0x09 {
            throw HTTPUpgradeError(.malformedHead, "obsolete line folding")
        }
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > 0 else {
            throw HTTPUpgradeError(.malformedHead, "header line without a field name")
        }
        let name = line[..<colon]
        guard name.allSatisfy(isTokenCharacter) else {
            throw HTTPUpgradeError(.malformedHead, "invalid header field name")
        }
        let value = line[(colon + 1)...]
        guard !value.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) else {
            let fieldName = String(decoding: name, as: UTF8.self)
            throw HTTPUpgradeError(.malformedHead, "control character in header field \(fieldName)")
        }
        return HTTPHeaderFields.Field(
            name: String(decoding: name, as: UTF8.self),
            value: String(decoding: value, as: UTF8.self).trimmingHTTPWhitespace())
    }

    /// RFC 9110 `tchar`.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }
}
