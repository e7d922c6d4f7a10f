import Testing
@testable import ConclaveIdentity

@Suite struct ConfigDirectoryTests {
    private func resolve(
        _ flag: String? = nil, _ environment: [String: String], passwd: String? = "/home/pw"
    ) throws -> String {
        try directory(flag, environment, passwd: passwd).path
    }

    private func directory(
        _ flag: String? = nil, _ environment: [String: String], passwd: String? = "/home/pw"
    ) throws -> ConfigDirectory {
        try ConfigDirectory.resolve(flag: flag, environment: environment, homeFromPasswordDatabase: { passwd })
    }

    @Test func recordsWhichRuleChose() throws {
        #expect(try directory("d", everything).source == .flag)
        #expect(try directory(nil, everything).source == .conclaveVariable)
        #expect(try directory(nil, ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]).source == .xdgConfigHome)
        #expect(try directory(nil, ["HOME": "/h"]).source == .home)
        #expect(try directory(nil, [:]).source == .passwordDatabase)
    }

    private let everything = [
        "CONCLAVE_CONFIG_DIR": "/c", "XDG_CONFIG_HOME": "/x", "HOME": "/h",
    ]

    @Test func flagWinsOverEverything() throws {
        #expect(try resolve("rel/dir", everything) == "rel/dir")
    }

    @Test func conclaveVariableWinsOverXDGAndHome() throws {
        #expect(try resolve(nil, everything) == "/c")
    }

    @Test func xdgConfigHomeWinsOverHome() throws {
        #expect(try resolve(nil, ["XDG_CONFIG_HOME": "/x/", "HOME": "/h"]) == "/x/conclave")
    }

    @Test func homeIsTheLastVariable() throws {
        #expect(try resolve(nil, ["HOME": "/h"]) == "/h/.config/conclave")
    }

    @Test func emptyVariablesCountAsUnset() throws {
        let environment = ["CONCLAVE_CONFIG_DIR": "", "XDG_CONFIG_HOME": "", "HOME": ""]
        #expect(try resolve("", environment) == "/home/pw/.config/conclave")
    }

    @Test func relativeXDGConfigHomeIsIgnored() throws {
        #expect(try resolve(nil, ["XDG_CONFIG_HOME": "relative", "HOME": "/h"]) == "/h/.config/conclave")
    }

    @Test func passwordDatabaseIsTheFallback() throws {
        #expect(try resolve(nil, [:], passwd: "/var/lib/bot") == "/var/lib/bot/.config/conclave")
    }

    @Test func noHomeAtAllIsAnError() throws {
        let error = try #require(throws: ConfigDirectoryError.self) { try resolve(nil, [:], passwd: nil) }
        #expect(error.exitStatus == .noInput)
        #expect(error.description.contains("--config-dir"))
    }

    @Test func filesLiveInTheDirectory() {
        let directory = ConfigDirectory(path: "/c/")
        #expect(directory.keyFilePath == "/c/key")
        #expect(directory.configFilePath == "/c/config.toml")
    }
}
