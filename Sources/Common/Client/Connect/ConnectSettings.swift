import ConclaveIdentity
import ConclaveLink
import ConclaveTransport
import ConclaveWire

/// The command line of `conclave-connect` as given, before the environment and `config.toml` are consulted.
package struct ConnectArguments: Hashable, Sendable {
    package var url: String?
    package var handle: String?
    package var joins: [String] = []
    /// `USER[/MACHINE]`.
    package var register: String?
    package var socketPath: String?
    package var fifoDirectory: String?
    package var exitsAtEndOfInput = false
    package var noReconnect = false
    package var retryLimit: Int?
    package var agent = false
    package var pingIntervalSeconds: Double?
    package var pongTimeoutSeconds: Double?
    package var strict = false

    package init() {}
}

/// Everything `conclave-connect` needs to run, resolved from its arguments, the environment, `config.toml`, the
/// working directory and the host name. Pure, so every rule is unit-tested.
package struct ConnectSettings: Hashable, Sendable {
    /// The server URL exactly as chosen (TOOLS.md "Which server"), for `_server` and `config.toml`.
    package var urlText: String
    package var url: WebSocketURL
    package var handle: SessionHandle
    package var registration: LinkRegistration?
    package var joins: [String]
    package var socketPath: String?
    package var fifoDirectory: String?
    package var exitsAtEndOfInput: Bool
    package var reconnects: Bool
    package var retryLimit: Int?
    package var agent: Bool
    package var strict: Bool
    package var timing: LinkTiming

    package static func resolve(
        _ arguments: ConnectArguments, environment: [String: String], config: ConclaveConfig,
        workingDirectory: String?, hostName: String
    ) throws -> ConnectSettings {
        if arguments.noReconnect && arguments.retryLimit != nil {
            throw ClientError(.usage, "--no-reconnect and --retry cannot be combined")
        }
        if let limit = arguments.retryLimit, limit < 1 {
            throw ClientError(.usage, "--retry needs a number of dials of at least 1")
        }
        for (flag, value) in [("--socket", arguments.socketPath), ("--fifo", arguments.fifoDirectory)] {
            if value?.isEmpty == true { throw ClientError(.usage, "\(flag) needs a non-empty path") }
        }
        if let path = arguments.socketPath, path.utf8.count > UnixListeningSocket.maximumPathLength {
            throw ClientError(
                .usage, "--socket needs a path of at most \(UnixListeningSocket.maximumPathLength) bytes: \(path)")
        }
        let urlText = try ServerSelection.resolve(flag: arguments.url, environment: environment, config: config)
        var timing = try LinkTiming.fromEnvironment(environment)
        if let seconds = arguments.pingIntervalSeconds {
            timing.pingIntervalMs = try milliseconds(seconds, flag: "--ping-interval")
        }
        if let seconds = arguments.pongTimeoutSeconds {
            timing.pongTimeoutMs = try milliseconds(seconds, flag: "--pong-timeout")
        }
        return ConnectSettings(
            urlText: urlText, url: try WebSocketURL(parsing: urlText),
            handle: try handle(flag: arguments.handle, environment: environment, workingDirectory: workingDirectory),
            registration: try arguments.register.map { text throws(ClientError) in
                try registration(text, hostName: hostName)
            },
            joins: arguments.joins, socketPath: arguments.socketPath, fifoDirectory: arguments.fifoDirectory,
            exitsAtEndOfInput: arguments.exitsAtEndOfInput, reconnects: !arguments.noReconnect,
            retryLimit: arguments.retryLimit, agent: arguments.agent, strict: arguments.strict, timing: timing)
    }

    /// `--as` > `$CONCLAVE_HANDLE` (both explicit, PROTOCOL.md §7.6) > the last component of the working directory,
    /// or `session` when there is none (defaulted, §8.6).
    package static func handle(
        flag: String?, environment: [String: String], workingDirectory: String?
    ) throws(ClientError) -> SessionHandle {
        for (source, value) in [("--as", flag), ("$CONCLAVE_HANDLE", environment["CONCLAVE_HANDLE"])] {
            guard let value, !value.isEmpty else { continue }
            guard SessionPath.isValidComponent(value) else {
                throw ClientError(.usage, "\(source) needs a handle without '/': \(value)")
            }
            return .explicit(value)
        }
        let last = workingDirectory?.split(separator: "/").last.map(String.init)
        return .defaulted(base: last ?? "session")
    }

    /// `USER[/MACHINE]`; the machine defaults to `hostName`.
    package static func registration(_ text: String, hostName: String) throws(ClientError) -> LinkRegistration {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let machine = parts.count == 2 ? parts[1] : hostName
        guard parts.count <= 2, SessionPath.isValidComponent(parts[0]), SessionPath.isValidComponent(machine) else {
            throw ClientError(.usage, "--register needs USER or USER/MACHINE, each non-empty without '/': \(text)")
        }
        return LinkRegistration(username: parts[0], machine: machine)
    }

    private static func milliseconds(_ seconds: Double, flag: String) throws(ClientError) -> Int {
        guard seconds.isFinite, seconds > 0, seconds <= 86_400 else {
            throw ClientError(.usage, "\(flag) needs a number of seconds above 0 and at most 86400")
        }
        return max(1, Int((seconds * 1000).rounded()))
    }
}
