/// Which server a tool talks to (TOOLS.md "Which server"): `-u/--url` > `$CONCLAVE_URL` > the only `[[servers]]`
/// entry of `config.toml`. A pure function of its inputs so every tool resolves it the same way.
public enum ServerSelection {
    /// The URL to use: `flag` if given, else `CONCLAVE_URL` from `environment`, else the one registered server.
    public static func resolve(
        flag: String?, environment: [String: String], config: ConclaveConfig
    ) throws(ServerSelectionError) -> String {
        if let flag, !flag.isEmpty { return flag }
        if let url = environment["CONCLAVE_URL"], !url.isEmpty { return url }
        switch config.servers.count {
        case 0: throw ServerSelectionError(code: .noServer, registeredURLs: [])
        case 1: return config.servers[0].url
        default: throw ServerSelectionError(code: .ambiguous, registeredURLs: config.servers.map(\.url))
        }
    }
}

/// No server was chosen and `config.toml` does not name exactly one.
public struct ServerSelectionError: Error, CustomStringConvertible, Hashable {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        /// No URL anywhere (status 66: missing config).
        public static let noServer = Code(rawValue: "no server")
        /// Several registrations and none chosen (status 64).
        public static let ambiguous = Code(rawValue: "ambiguous")
    }

    public var code: Code
    /// The registered URLs, listed in the message so the user can pick one.
    public var registeredURLs: [String]

    public var description: String {
        if code == .ambiguous {
            return "several servers are registered; choose one with -u or $CONCLAVE_URL: "
                + registeredURLs.joined(separator: ", ")
        }
        return "no server: give -u URL, set $CONCLAVE_URL, or register one with conclave-connect -u URL --register USER"
    }
}
