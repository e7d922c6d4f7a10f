// swift-tools-version: 6.0
import PackageDescription

// One library target per layer (README "Layout"), lowest first. A tool links only the layers it uses, so
// conclave-keygen carries neither OpenSSL nor SQLite and conclave-connect no SQLite.

// The release build (`make release`) links each client tool fully static (the Swift runtime, its C libraries and
// glibc), so it starts without loading and relocating some 20 shared libraries (bench/RESULTS.md "Clients").
// libpq has no static form here (its GSSAPI and LDAP dependencies ship only shared), so what links the store keeps
// glibc and the C libraries shared and links only the Swift runtime in.
let staticExecutable: [LinkerSetting] = [.unsafeFlags(["-static-executable"], .when(configuration: .release))]
let staticStandardLibrary: [LinkerSetting] = [.unsafeFlags(["-static-stdlib"], .when(configuration: .release))]

let package = Package(
    name: "conclave",
    products: [
        .executable(name: "conclave-keygen", targets: ["conclave-keygen"]),
        .executable(name: "conclave-connect", targets: ["conclave-connect"]),
        .executable(name: "conclave-recv", targets: ["conclave-recv"]),
        .executable(name: "conclave-send", targets: ["conclave-send"]),
        .executable(name: "conclave-serve", targets: ["conclave-serve"]),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // libpq's headers only, without pkg-config, whose `-lpq` would link it: CPostgresLoader loads it on demand.
        .systemLibrary(name: "CPostgres", providers: [.apt(["libpq-dev"])]),
        .target(name: "CSystemShims"),
        .target(name: "CPostgresLoader", dependencies: ["CPostgres"]),
        .target(name: "CTLSShims", dependencies: ["COpenSSL"]),

        // Frames, bincode, the JSON form, the WebSocket parser and upgrade, key types: no I/O.
        .target(name: "ConclaveWire", dependencies: ["CSodium", "CJansson"], path: "Sources/Common/Wire"),
        // File descriptors, typed errno, paths, clocks, the environment: the one POSIX layer.
        .target(name: "ConclavePOSIX", path: "Sources/Common/POSIX"),
        // The epoll loop, sockets, TLS, the WebSocket client and server.
        .target(
            name: "ConclaveTransport",
            dependencies: ["ConclaveWire", "ConclavePOSIX", "COpenSSL", "CTLSShims", "CSystemShims"],
            path: "Sources/Common/Transport"),
        // The config directory: the key file and config.toml.
        .target(
            name: "ConclaveIdentity", dependencies: ["ConclaveWire", "ConclavePOSIX"], path: "Sources/Common/Identity"),
        // The reconnecting, authenticated link (TOOLS.md "The link").
        .target(
            name: "ConclaveLink", dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveTransport"],
            path: "Sources/Common/Link"),
        // What every tool's main shares: exit statuses and the errors that map to them, diagnostics, records,
        // the command-line parser, help and completion scripts generated from each tool's option table.
        .target(
            name: "ConclaveCLI", dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveIdentity"],
            path: "Sources/Common/CLI"),
        // The tool I/O that conclave-connect, conclave-send and conclave-recv share.
        .target(
            name: "ConclaveClient",
            dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveTransport", "ConclaveIdentity", "ConclaveLink",
                           "ConclaveCLI"],
            path: "Sources/Common/Client"),
        // The server's durable state: the interface and its SQLite and PostgreSQL implementations.
        .target(
            name: "ConclaveStore", dependencies: ["ConclaveWire", "ConclavePOSIX", "CSQLite", "CPostgres", "CPostgresLoader"],
            path: "Sources/Common/Store"),
        // conclave-serve: the dispatch core, sessions and the runner.
        .target(
            name: "ConclaveServer",
            dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveTransport", "ConclaveStore", "ConclaveCLI"],
            path: "Sources/Common/Server"),

        .executableTarget(
            name: "conclave-keygen",
            dependencies: ["ConclaveCLI", "ConclaveIdentity", "ConclavePOSIX"], linkerSettings: staticExecutable),
        .executableTarget(
            name: "conclave-serve", dependencies: ["ConclaveServer", "ConclaveCLI", "ConclavePOSIX"],
            linkerSettings: staticStandardLibrary),
        .executableTarget(
            name: "conclave-connect", dependencies: ["ConclaveClient", "ConclaveCLI", "ConclavePOSIX"],
            linkerSettings: staticExecutable),
        .executableTarget(
            name: "conclave-recv", dependencies: ["ConclaveClient", "ConclaveCLI", "ConclavePOSIX"],
            linkerSettings: staticExecutable),
        .executableTarget(
            name: "conclave-send", dependencies: ["ConclaveClient", "ConclaveCLI", "ConclavePOSIX"],
            linkerSettings: staticExecutable),
        // The server benchmark (bench/run.sh; not shipped).
        .executableTarget(
            name: "serve-bench",
            dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveTransport", "ConclaveServer", "CSodium"],
            path: "bench/serve-bench", linkerSettings: staticStandardLibrary),
        // Autobahn|Testsuite testees (test tools, not shipped): `make autobahn`.
        .executableTarget(
            name: "autobahn-echo-client", dependencies: ["ConclaveTransport", "ConclaveCLI", "ConclavePOSIX"],
            linkerSettings: staticExecutable),
        .executableTarget(
            name: "autobahn-echo-server", dependencies: ["ConclaveTransport", "ConclaveCLI"],
            linkerSettings: staticExecutable),
        // A throwaway PostgreSQL server that both test targets share (test support, not shipped).
        .target(
            name: "PostgresFixture", dependencies: ["ConclaveStore", "ConclavePOSIX"], path: "Tests/PostgresFixture"),
        .testTarget(
            name: "CommonTests",
            dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveTransport", "ConclaveIdentity", "ConclaveLink",
                           "ConclaveCLI", "ConclaveClient", "ConclaveStore", "ConclaveServer", "PostgresFixture"]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["ConclaveWire", "ConclavePOSIX", "ConclaveTransport", "ConclaveIdentity", "ConclaveCLI",
                           "ConclaveClient", "PostgresFixture"]),
    ]
)
