internal import Glibc

/// `conclave-serve`'s log: one line per event on stderr, prefixed with the tool name, each written with a single
/// `write(2)` so that lines never interleave. The events name frame kinds, paths and channels, never bodies,
/// tokens or keys (the core's events are built that way).
public struct ServeLog: Sendable {
    public var verbosity: ServeConfiguration.Verbosity

    public init(verbosity: ServeConfiguration.Verbosity) {
        self.verbosity = verbosity
    }

    /// A line shown unless `-q`: start, stop, connections, handshakes, drops.
    public func event(_ message: String) {
        if verbosity != .quiet { emit(message) }
    }

    /// A line shown only with `-v`: every request, every plain HTTP request.
    public func detail(_ message: String) {
        if verbosity == .verbose { emit(message) }
    }

    /// A line shown whatever the verbosity: the address listened on (scripts read the port from it) and the
    /// reason the server could not start or had to stop.
    public func essential(_ message: String) {
        emit(message)
    }

    private func emit(_ message: String) {
        var line = Array("conclave-serve: ".utf8)
        for byte in message.utf8 {
            line.append(byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") ? UInt8(ascii: " ") : byte)
        }
        line.append(UInt8(ascii: "\n"))
        line.withUnsafeBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var offset = 0
            while offset < bytes.count {
                let count = write(STDERR_FILENO, base + offset, bytes.count - offset)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                offset += count
            }
        }
    }
}
