/// Reads a request head from byte chunks on the server side of the upgrade.
package struct HTTPRequestParser: Sendable {
    /// 16 KiB: far above any legitimate upgrade request, small enough to bound a slow sender.
    package static let defaultMaximumHeadSize = 16 * 1024

    private var reader: HTTPHeadReader
    /// Bytes that arrived after the request head (frames a client sent before seeing the 101).
    package private(set) var leftover: [UInt8] = []

    package init(maximumHeadSize: Int = Self.defaultMaximumHeadSize) {
        reader = HTTPHeadReader(maximumSize: maximumHeadSize)
    }

    /// Adds bytes; returns the request once its head is complete. A thrown error's
    /// `responseStatus` is the status to refuse with (400 or 431).
    package mutating func receive(_ bytes: UnsafeRawBufferPointer) throws(HTTPUpgradeError) -> HTTPRequest? {
        guard let head = try reader.receive(bytes) else { return nil }
        let parts = head.startLine.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
        guard parts.count == 3,
              !parts[0].isEmpty, parts[0].allSatisfy(HTTPHeadReader.isTokenCharacter),
              parts[1].first == UInt8(ascii: "/"), parts[1].allSatisfy({ $0 > 0x20 && $0 < 0x7F }),
              parts[2].elementsEqual("HTTP/1.1".utf8) || parts[2].elementsEqual("HTTP/1.0".utf8)
        else {
            throw HTTPUpgradeError(.malformedHead, "request line is not `METHOD /path HTTP/1.x`")
        }
        leftover = head.leftover
        return HTTPRequest(
            method: String(decoding: parts[0], as: UTF8.self), target: String(decoding: parts[1], as: UTF8.self),
            version: String(decoding: parts[2], as: UTF8.self), headers: head.fields)
    }

    /// Adds bytes; returns the request once its head is complete.
    package mutating func receive(_ bytes: [UInt8]) throws(HTTPUpgradeError) -> HTTPRequest? {
        let result = bytes.withUnsafeBytes { bytes in
            Result { () throws(HTTPUpgradeError) in try receive(bytes) }
        }
        return try result.get()
    }
}
