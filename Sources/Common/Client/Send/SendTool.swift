#if canImport(Glibc)
internal import Glibc
#endif
import ConclaveCLI
import ConclaveIdentity
import ConclaveLink
import ConclaveTransport
import ConclaveWire

/// `conclave-send` from parsed arguments to exit status: resolves the settings, picks the link source (an
/// attachment to `--socket`/`$CONCLAVE_SOCKET`, else a link of its own as `--as` or `cli-<pid>`) and runs a
/// `SendSession`.
package enum SendTool {
    package static let name = "conclave-send"

    /// Runs the tool; every error is reported on stderr and becomes the exit status.
    package static func run(
        _ arguments: SendArguments, common: CommonOptions, environment: [String: String]
    ) -> ExitStatus {
        StandardDescriptors.reserve()
        let diagnostics = common.diagnostics(toolName: name)
        do {
            let settings = try SendSettings.resolve(arguments, environment: environment)
            let loop: EventLoop
            do {
                loop = try EventLoop()
            } catch {
                throw ClientError(.system, error.message)
            }
            let directory = try common.configDirectory(environment: environment)
            let config = try ConclaveConfig.load(from: directory.configFilePath)
            let source: any LinkSource
            var server: String
            var path = SessionPath(user: "unknown", machine: "unknown", session: settings.handle ?? "cli")
            switch settings.link {
            case _ where settings.printsOnly:
                // Never started: --print sends nothing.
                source = SocketAttachment(socketPath: "--print", loop: loop)
                server = ""
            case let .socket(socketPath):
                source = SocketAttachment(socketPath: socketPath, loop: loop)
                server = (try? ServerSelection.resolve(flag: nil, environment: environment, config: config)) ?? ""
            case let .own(url):
                server = try ServerSelection.resolve(flag: url, environment: environment, config: config)
                let handle = settings.handle ?? "cli-\(getpid())"
                if let registered = config.registration(url: server) {
                    path = SessionPath(user: registered.username, machine: registered.machine, session: handle)
                }
                let configuration = LinkConfiguration(
                    url: try WebSocketURL(parsing: server), urlText: server, handle: .explicit(handle),
                    signingKey: try KeyFile(directory: directory).load().signingKey(),
                    timing: try LinkTiming.fromEnvironment(environment))
                source = OwnLink(configuration: configuration, loop: loop)
            }
            diagnostics.detail("sending via \(source.label)")
            let session = SendSession(
                settings: settings, source: source, loop: loop,
                permissions: PermissionPolicy(config: config, server: server, configPath: directory.configFilePath),
                provisionalPath: path, diagnostics: diagnostics)
            return try session.run()
        } catch {
            return ToolMain.status(reporting: error, to: diagnostics)
        }
    }
}
