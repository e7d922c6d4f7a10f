import Glibc
import Testing
@testable import ConclaveWire

/// One entry of a vectors file (PROTOCOL.md §11): a JSON frame and the hex of its wire bytes.
struct FrameVector: Sendable, CustomTestStringConvertible {
    var name: String
    var frame: JSONValue
    var hex: String

    var testDescription: String { name }

    /// `CONCLAVE_VECTORS`, else the package's own copy (`bundledPath`).
    static var path: String {
        if let override = getenv("CONCLAVE_VECTORS") { return String(cString: override) }
        return bundledPath
    }

    /// `Tests/Vectors/frames.json`, a byte-identical copy of the published vectors, found from this source file
    /// so that a clone anywhere (not only next to the shared contract directory) can run the tests.
    static var bundledPath: String {
        let testsDirectory = String(#filePath).split(separator: "/", omittingEmptySubsequences: false).dropLast(2)
        return testsDirectory.joined(separator: "/") + "/Vectors/frames.json"
    }

    static func loadAll(from path: String = path) throws -> [FrameVector] {
        let contents = try readFile(path)
        guard case let .array(entries) = try JSONValue(parsing: contents) else {
            throw VectorFileError(reason: "\(path): expected a JSON array")
        }
        return try entries.enumerated().map { index, entry in
            guard let name = entry["name"]?.stringValue, let frame = entry["frame"], let hex = entry["hex"]?.stringValue
            else { throw VectorFileError(reason: "\(path): entry \(index) lacks name, frame or hex") }
            return FrameVector(name: name, frame: frame, hex: hex)
        }
    }
}

struct VectorFileError: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// Hex to bytes; `nil` for anything else. Spaces are allowed, for readability of expectations.
func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8.filter { $0 != UInt8(ascii: " ") })
    guard digits.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    var index = 0
    while index < digits.count {
        guard let high = hexValue(digits[index]), let low = hexValue(digits[index + 1]) else { return nil }
        result.append(high << 4 | low)
        index += 2
    }
    return result
}

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
}

private func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
}
