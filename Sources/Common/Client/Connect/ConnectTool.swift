#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclaveIdentity

/// `conclave-connect` from parsed arguments to exit status: finds the config directory, `config.toml`, the server
/// and the key, then runs a `ConnectSession`.
package enum ConnectTool {
    package static let name = "conclave-connect"

    /// Runs the tool; every error is reported on stderr and becomes the exit status.
    package static func run(
        _ arguments: ConnectArguments, common: CommonOptions, environment: [String: String]
    ) -> ExitStatus {
        StandardDescriptors.reserve()
        let diagnostics = common.diagnostics(toolName: name)
        do {
            let directory = try common.configDirectory(environment: environment)
            diagnostics.detail("config directory \(directory.path) (from \(directory.source.rawValue))")
            let config = try ConclaveConfig.load(from: directory.configFilePath)
            let settings = try ConnectSettings.resolve(
                arguments, environment: environment, config: config, workingDirectory: workingDirectory(),
                hostName: hostName())
            let signingKey = try KeyFile(directory: directory).load().signingKey()
            let session = try ConnectSession(
                settings: settings, config: config, configPath: directory.configFilePath, signingKey: signingKey,
                diagnostics: diagnostics)
            return try session.run()
        } catch {
            return ToolMain.status(reporting: error, to: diagnostics)
        }
    }

    private static func workingDirectory() -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return nil }
        return text(buffer)
    }

    /// The machine name `--register USER` uses: the host name up to its first dot, as `hostname -s` prints it.
    private static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = text(buffer)
        let short = name.split(separator: ".").first.map(String.init) ?? ""
        return short.isEmpty ? "localhost" : short
    }

    /// The text of a NUL-terminated C buffer.
    private static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
