#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// The start and end of every tool's process.
package enum ToolMain {
    /// Process-wide setup before anything else runs: SIGPIPE is ignored, so a closed stdout or socket is an
    /// `EPIPE` error handled where it happens instead of killing the process.
    package static func prepareProcess() {
        BrokenPipe.ignore()
    }

    /// Runs the tool's work and exits: 0 when it returns, otherwise the error's status after one diagnostic line.
    package static func run(diagnostics: Diagnostics, _ body: () throws -> Void) -> Never {
        do {
            try body()
            exit(ExitStatus.success.rawValue)
        } catch {
            exit(status(reporting: error, to: diagnostics).rawValue)
        }
    }

    /// Reports `error` (nothing when it is a quiet success such as a closed stdout) and returns its exit status:
    /// a `ToolError`'s own status, 1 for anything else.
    package static func status(reporting error: any Error, to diagnostics: Diagnostics) -> ExitStatus {
        guard let toolError = error as? any ToolError else {
            diagnostics.report("\(error)")
            return .failure
        }
        if toolError.exitStatus != .success { diagnostics.report(toolError.description) }
        return toolError.exitStatus
    }
}
