// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "conclave",
    products: [
        .executable(name: "conclave-keygen", targets: ["conclave-keygen"]),
        .executable(name: "conclave-connect", targets: ["conclave-connect"]),
        .executable(name: "conclave-serve", targets: ["conclave-serve"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(name: "CJansson", pkgConfig: "jansson", providers: [.apt(["libjansson-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .target(name: "CShims", dependencies: ["COpenSSL", "CJansson", "CSQLite"]),
        .target(
            name: "Common",
            dependencies: [
                "CSodium", "CJansson", "COpenSSL", "CSQLite", "CShims",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "conclave-keygen",
            dependencies: ["Common", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "conclave-serve",
            dependencies: ["Common", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(
            name: "conclave-connect",
            dependencies: ["Common", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // The frame-level client `make demo` drives (test support, not shipped).
        // The server benchmark (bench/run.sh; not shipped).
        .executableTarget(name: "serve-bench", dependencies: ["Common", "CSodium"], path: "bench/serve-bench"),
        // Autobahn|Testsuite testees (test tools, not shipped): `make autobahn`.
        .executableTarget(name: "autobahn-echo-client", dependencies: ["Common"]),
        .executableTarget(name: "autobahn-echo-server", dependencies: ["Common"]),
        .testTarget(name: "CommonTests", dependencies: ["Common"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Common"]),
    ]
)
