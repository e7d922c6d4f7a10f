// The exit status of each error the wire, POSIX and identity layers report (TOOLS.md "Exit status"). The
// layers below know nothing of exit statuses; this is the one place their errors meet them.
import ConclaveIdentity
import ConclaveWire

extension FrameDecodingError: ToolError {
    /// Undecodable frames are protocol errors (status 76) for a tool that cannot go on without them.
    package var exitStatus: ExitStatus { .protocolError }
}

extension JSONParseError: ToolError {
    /// Bad input data (status 65).
    package var exitStatus: ExitStatus { .dataError }
}

extension FrameJSONError: ToolError {
    /// Bad input data (status 65).
    package var exitStatus: ExitStatus { .dataError }
}

extension HTTPUpgradeError: ToolError {
    /// An upgrade that fails means the server was never usefully reached.
    package var exitStatus: ExitStatus { .unavailable }
}

extension PublicKeyError: ToolError {
    package var exitStatus: ExitStatus { .dataError }
}

extension ServerSelectionError: ToolError {
    package var exitStatus: ExitStatus { code.select(noServer: .noInput, ambiguous: .usage) }
}

extension ConfigDirectoryError: ToolError {
    package var exitStatus: ExitStatus { .noInput }
}

extension KeyFileError: ToolError {
    package var exitStatus: ExitStatus {
        code.select(
            missing: .noInput, insecurePermissions: .refused, permissionDenied: .refused, malformed: .dataError,
            alreadyExists: .failure, ioError: .failure)
    }
}

extension ConfigError: ToolError {
    package var exitStatus: ExitStatus { code.select(invalidContent: .dataError, ioError: .failure) }
}
