/// Which server a tool talks to (TOOLS.md "Which server"): `-u/--url` > `$CONCLAVE_URL` > the only `[[servers]]`
/// entry of `config.toml`. A pure function of its inputs so every tool resolves it the same way.
package enum ServerSelection {
    /// The URL to use: `flag` if given, else `CONCLAVE_URL` from `environment`, else the one registered server.
    package static func resolve(
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
package struct ServerSelectionError: Error, CustomStringConvertible, Hashable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case noServer, ambiguous
        }

        private let storage: Storage

        private init(_ storage: Storage) { self.storage = storage }

        /// No URL anywhere (status 66: missing config).
        package static let noServer = Code(.noServer)
        /// Several registrations and none chosen (status 64).
        package static let ambiguous = Code(.ambiguous)

        package var description: String { "\(storage)" }

        /// The value given for this code. Every code is a parameter, so a code added later fails to compile at
        /// every caller instead of falling into a `default:`.
        package func select<Value>(
            noServer: Value,
            ambiguous: Value
        ) -> Value {
            switch storage {
            case .noServer: noServer
            case .ambiguous: ambiguous
            }
        }
    }

    package var code: Code
    /// The registered URLs, listed in the message so the user can pick one.
    package var registeredURLs: [String]

    package var description: String {
        if code == .ambiguous {
            return "several servers are registered; choose one with -u or $CONCLAVE_URL: "
                + registeredURLs.joined(separator: ", ")
        }
        return "no server: give -u URL, set $CONCLAVE_URL, or register one with conclave-connect -u URL --register USER"
    }
}
