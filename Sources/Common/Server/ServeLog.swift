import ConclaveCLI

/// `conclave-serve`'s log: one line per event on stderr, written like every tool's diagnostics (prefixed with the
/// tool name, one `write(2)` per line so that lines never interleave). The events name frame kinds, paths and
/// channels, never bodies, tokens or keys (the core's events are built that way).
package struct ServeLog: Sendable {
    package var verbosity: Verbosity

    package init(verbosity: Verbosity) {
        self.verbosity = verbosity
    }

    /// A line shown unless `-q`: start, stop, connections, handshakes, drops.
    package func event(_ message: String) {
        if verbosity >= .normal { emit(message) }
    }

    /// A line shown only with `-v`: every request, every plain HTTP request.
    package func detail(_ message: String) {
        if verbosity >= .verbose { emit(message) }
    }

    /// A line shown whatever the verbosity: the address listened on (scripts read the port from it) and the
    /// reason the server could not start or had to stop.
    package func essential(_ message: String) {
        emit(message)
    }

    private func emit(_ message: String) {
        // The log decides what is shown; the writer is the one every tool's diagnostics go through.
        Diagnostics(toolName: "conclave-serve", verbosity: .normal).report(message)
    }
}
