import Glibc
import Testing
import PostgresFixture
@testable import ConclaveStore
@testable import ConclaveWire

/// Every store test runs against an in-memory and an on-disk SQLite database and a PostgreSQL one.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case file
    case postgres

    var testDescription: String { rawValue }
}

/// Runs `body` with a fresh store of `kind` (a database of its own on the test process's PostgreSQL server for
/// `postgres`); the store is released before its directory is removed.
func withStore(_ kind: StoreKind, _ body: (any ServerStore) throws -> Void) throws {
    switch kind {
    case .memory:
        try body(SQLiteStore(at: .memory))
    case .file:
        let directory = try TemporaryDirectory()
        try withExtendedLifetime(directory) {
            try body(SQLiteStore(at: .directory(directory.path)))
        }
    case .postgres:
        try body(PostgresStore(url: TemporaryPostgres.shared().makeDatabase()))
    }
}

/// Expects `body` to fail with a store error of `code`.
func expectStoreError(
    _ code: StoreError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    let error = #expect(throws: StoreError.self, sourceLocation: sourceLocation) { try body() }
    #expect(error?.code == code, "\(error?.message ?? "")", sourceLocation: sourceLocation)
}

/// A stand-in public key: distinct per `seed`, in the b64u text form the store keeps.
func testKey(_ seed: UInt8) -> String {
    Base64URL.encode([UInt8](repeating: seed, count: 32))
}

extension ServerStore {
    /// Appends one message in a transaction of its own: the tests' shorthand for a batch of one.
    func appendMessage(toChannel channel: String, from path: String, payload: [UInt8], at timeMs: Int64)
        throws(StoreError)
    {
        try appendMessages([MessageRecord(channel: channel, from: path, payload: payload, timeMs: timeMs)])
    }
}
