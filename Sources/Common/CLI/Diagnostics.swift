#if canImport(Glibc)
internal import Glibc
#endif

/// How much a tool says on stderr: `-q` silences every diagnostic, `-v` adds detail.
public enum Verbosity: Int, Comparable, Sendable {
    case quiet
    case normal
    case verbose

    public static func < (lhs: Verbosity, rhs: Verbosity) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Writes diagnostics to stderr: one line each, prefixed with the tool name (`conclave-keygen: …`).
public struct Diagnostics: Sendable {
    /// The prefix of every line, as the user typed the tool's name.
    public let toolName: String
    /// What is shown: `report` unless quiet, `detail` only when verbose.
    public let verbosity: Verbosity
    private let fileDescriptor: Int32

    /// `fileDescriptor` is stderr (2) except in tests.
    public init(toolName: String, verbosity: Verbosity = .normal, fileDescriptor: Int32 = 2) {
        self.toolName = toolName
        self.verbosity = verbosity
        self.fileDescriptor = fileDescriptor
    }

    /// A message at normal verbosity: errors, warnings, what the tool did.
    public func report(_ message: String) {
        if verbosity >= .normal { emit(message) }
    }

    /// Detail shown only with `-v`.
    public func detail(_ message: String) {
        if verbosity >= .verbose { emit(message) }
    }

    /// One line, written with a single `write(2)` so lines of concurrent writers do not interleave; line breaks
    /// inside the message are shown as spaces, since a line is a record to whoever reads stderr.
    private func emit(_ message: String) {
        var line = Array("\(toolName): ".utf8)
        line.reserveCapacity(line.count + message.utf8.count + 1)
        for byte in message.utf8 {
            line.append(byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte)
        }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                offset += count
            }
        }
    }
}
