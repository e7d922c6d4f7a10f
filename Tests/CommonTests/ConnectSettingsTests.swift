import Testing
@testable import ConclaveClient
@testable import ConclaveIdentity
@testable import ConclaveLink
@testable import ConclaveTransport

/// conclave-connect's flags, environment and config resolved into settings (pure).
@Suite struct ConnectSettingsTests {
    private func resolve(
        _ configure: (inout ConnectArguments) -> Void = { _ in }, environment: [String: String] = [:],
        config: ConclaveConfig = ConclaveConfig(), workingDirectory: String? = "/home/alice/project"
    ) throws -> ConnectSettings {
        var arguments = ConnectArguments()
        arguments.url = "ws://127.0.0.1:4390"
        configure(&arguments)
        return try ConnectSettings.resolve(
            arguments, environment: environment, config: config, workingDirectory: workingDirectory,
            hostName: "box")
    }

    @Test func handleIsExplicitFromTheFlagOrEnvironmentElseTheDirectoryName() throws {
        #expect(try resolve { $0.handle = "bot" }.handle == .explicit("bot"))
        #expect(try resolve(environment: ["CONCLAVE_HANDLE": "env"]).handle == .explicit("env"))
        #expect(try resolve({ $0.handle = "flag" }, environment: ["CONCLAVE_HANDLE": "env"]).handle
            == .explicit("flag"))
        #expect(try resolve().handle == .defaulted(base: "project"))
        #expect(try resolve(workingDirectory: "/").handle == .defaulted(base: "session"))
        #expect(try resolve(workingDirectory: nil).handle == .defaulted(base: "session"))
        #expect(throws: ClientError.self) { try resolve { $0.handle = "a/b" } }
    }

    @Test func registrationDefaultsTheMachineToTheHostName() throws {
        #expect(try resolve { $0.register = "alice" }.registration
            == LinkRegistration(username: "alice", machine: "box"))
        #expect(try resolve { $0.register = "alice/laptop" }.registration
            == LinkRegistration(username: "alice", machine: "laptop"))
        for bad in ["", "/laptop", "alice/", "a/b/c"] {
            let error = #expect(throws: ClientError.self) { try resolve { $0.register = bad } }
            #expect(error?.exitStatus == .usage)
        }
    }

    @Test func serverSelectionFollowsTheSharedRule() throws {
        let two = ConclaveConfig(servers: [
            ServerRegistration(url: "ws://a", username: "u", machine: "m"),
            ServerRegistration(url: "ws://b", username: "u", machine: "m"),
        ])
        #expect(try resolve({ $0.url = nil }, environment: ["CONCLAVE_URL": "ws://e"], config: two).urlText
            == "ws://e")
        let error = #expect(throws: ServerSelectionError.self) { try resolve({ $0.url = nil }, config: two) }
        #expect(error?.exitStatus == .usage)
        #expect(throws: WebSocketURLError.self) { try resolve { $0.url = "http://x" } }
    }

    @Test func timingFlagsAndRetryRules() throws {
        let settings = try resolve {
            $0.pingIntervalSeconds = 0.5
            $0.pongTimeoutSeconds = 3
            $0.retryLimit = 2
        }
        #expect(settings.timing.pingIntervalMs == 500)
        #expect(settings.timing.pongTimeoutMs == 3000)
        #expect(settings.retryLimit == 2)
        #expect(settings.reconnects)
        #expect(try resolve { $0.noReconnect = true }.reconnects == false)
        #expect(try resolve(environment: ["CONCLAVE_BACKOFF_BASE_MS": "10"]).timing.backoffBaseMs == 10)
        #expect(throws: ClientError.self) { try resolve { $0.pingIntervalSeconds = 0 } }
        #expect(throws: ClientError.self) { try resolve { $0.retryLimit = 0 } }
        #expect(throws: ClientError.self) { try resolve { $0.noReconnect = true; $0.retryLimit = 1 } }
        #expect(throws: ClientError.self) { try resolve { $0.socketPath = "" } }
    }

    @Test func aSocketPathMustFitAUnixSocketAddress() throws {
        let longest = "/" + String(repeating: "s", count: UnixListeningSocket.maximumPathLength - 1)
        #expect(try resolve { $0.socketPath = longest }.socketPath == longest)
        let error = #expect(throws: ClientError.self) { try resolve { $0.socketPath = longest + "s" } }
        #expect(error?.exitStatus == .usage)
        #expect(error?.message.hasPrefix("--socket needs a path of at most 107 bytes: /sss") == true)
    }
}
