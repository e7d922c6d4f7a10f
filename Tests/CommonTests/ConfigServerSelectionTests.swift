import Testing
@testable import ConclaveIdentity

@Suite struct ConfigServerSelectionTests {
    private let two = ConclaveConfig(servers: [
        ServerRegistration(url: "ws://a", username: "u", machine: "m"),
        ServerRegistration(url: "wss://b", username: "u", machine: "m"),
    ])
    private let one = ConclaveConfig(servers: [ServerRegistration(url: "ws://only", username: "u", machine: "m")])

    @Test func flagThenEnvironmentThenTheOnlyEntry() throws {
        #expect(try ServerSelection.resolve(flag: "ws://f", environment: ["CONCLAVE_URL": "ws://e"], config: two)
            == "ws://f")
        #expect(try ServerSelection.resolve(flag: nil, environment: ["CONCLAVE_URL": "ws://e"], config: two)
            == "ws://e")
        #expect(try ServerSelection.resolve(flag: nil, environment: ["CONCLAVE_URL": ""], config: one)
            == "ws://only")
    }

    @Test func severalEntriesAreAUsageErrorListingThem() {
        let error = #expect(throws: ServerSelectionError.self) {
            try ServerSelection.resolve(flag: nil, environment: [:], config: two)
        }
        #expect(error?.exitStatus == .usage)
        #expect(error?.description.hasSuffix("ws://a, wss://b") == true)
    }

    @Test func noServerAtAllIsMissingConfig() {
        let error = #expect(throws: ServerSelectionError.self) {
            try ServerSelection.resolve(flag: nil, environment: [:], config: ConclaveConfig())
        }
        #expect(error?.exitStatus == .noInput)
    }
}
