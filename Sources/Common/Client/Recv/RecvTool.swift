#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclaveIdentity
import ConclaveWire

/// `conclave-recv` from parsed arguments to exit status: finds the config directory, `config.toml`, the source
/// and (for a link of its own) the key, then runs a `RecvSession`.
package enum RecvTool {
    package static let name = "conclave-recv"

    /// Runs the tool; every error is reported on stderr and becomes the exit status.
    package static func run(
        _ arguments: RecvArguments, common: CommonOptions, environment: [String: String]
    ) -> ExitStatus {
        StandardDescriptors.reserve()
        let diagnostics = common.diagnostics(toolName: name)
        do {
            let directory = try common.configDirectory(environment: environment)
            let config = try ConclaveConfig.load(from: directory.configFilePath)
            let settings = try RecvSettings.resolve(
                arguments, environment: environment, config: config, stdoutIsTerminal: isatty(1) == 1,
                processID: getpid())
            var signingKey: SigningKey?
            let server: String
            switch settings.source {
            case let .link(urlText, _, _, _):
                server = urlText
                signingKey = try KeyFile(directory: directory).load().signingKey()
            case let .socket(path):
                server = (try? ServerSelection.resolve(flag: nil, environment: environment, config: config)) ?? path
            case let .input(path):
                server = ""
                // Under --cursor the session reads the spool itself, from the saved offset.
                if let path, settings.cursor == nil { try readStandardInput(from: path) }
            }
            let session = try RecvSession(
                settings: settings, config: config, configPath: directory.configFilePath, server: server,
                signingKey: signingKey, diagnostics: diagnostics)
            return try session.run()
        } catch {
            return ToolMain.status(reporting: error, to: diagnostics)
        }
    }

    /// `-i FILE`: FILE becomes standard input, read as `-i -` reads it.
    private static func readStandardInput(from path: String) throws(RecvError) {
        let opened = open(path, O_RDONLY | O_CLOEXEC)
        guard opened >= 0 else {
            let reason = strerror(errno).map { String(cString: $0) } ?? "error \(errno)"
            throw RecvError(.input, "cannot open \(path): \(reason)")
        }
        dup2(opened, 0)
        close(opened)
    }
}
