#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// How much a tool says on stderr: `-q` silences every diagnostic, `-v` adds detail.
package enum Verbosity: Int, Comparable, Sendable {
    case quiet
    case normal
    case verbose

    package static func < (lhs: Verbosity, rhs: Verbosity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Writes diagnostics to stderr: one line each, prefixed with the tool name (`conclave-keygen: …`).
package struct Diagnostics: Sendable {
    /// The prefix of every line, as the user typed the tool's name.
    package let toolName: String
    /// What is shown: `report` unless quiet, `detail` only when verbose.
    package let verbosity: Verbosity
    private let fileDescriptor: Int32

    /// `fileDescriptor` is stderr (2) except in tests.
    package init(toolName: String, verbosity: Verbosity = .normal, fileDescriptor: Int32 = 2) {
        self.toolName = toolName
        self.verbosity = verbosity
        self.fileDescriptor = fileDescriptor
    }

    /// A message at normal verbosity: errors, warnings, what the tool did.
    package func report(_ message: String) {
        if verbosity >= .normal { emit(message) }
    }

    /// Detail shown only with `-v`.
    package func detail(_ message: String) {
        if verbosity >= .verbose { emit(message) }
    }

    /// One line, written with a single `write(2)` so lines of concurrent writers do not interleave. Messages quote
    /// input (bad lines, paths, flags), so nothing in one may drive the terminal or start a second line: every
    /// C0 control (line breaks too), DEL and C1 control is written `\xHH`, as the server log writes them, and the
    /// line and paragraph separators U+2028 and U+2029 `\u{2028}` and `\u{2029}`.
    private func emit(_ message: String) {
        var line = Array("\(toolName): ".utf8)
        line.reserveCapacity(line.count + message.utf8.count + 1)
        for scalar in message.unicodeScalars {
            switch scalar.value {
            case 0..<0x20, 0x7F...0x9F:
                line += Array("\\x".utf8) + Self.hexDigits(scalar.value, count: 2)
            case 0x2028, 0x2029:
                line += Array("\\u{".utf8) + Self.hexDigits(scalar.value, count: 4) + [UInt8(ascii: "}")]
            default:
                UTF8.encode(scalar) { line.append($0) }
            }
        }
        line.append(UInt8(ascii: "\n"))
        // Nowhere is left to report a failure to write a diagnostic.
        try? writeAll(line, to: fileDescriptor)
    }

    /// The `count` lowest hex digits of `value`, lowercase.
    private static func hexDigits(_ value: UInt32, count: Int) -> [UInt8] {
        let digits = Array("0123456789abcdef".utf8)
        return (0..<count).reversed().map { digits[Int(value >> (4 * UInt32($0)) & 0xF)] }
    }
}
