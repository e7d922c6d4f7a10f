import Glibc
import Testing
@testable import Common

/// Every store test runs against both an in-memory and an on-disk database.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory
    case file

    var testDescription: String { rawValue }
}

/// A fresh directory under /tmp, removed with everything in it by ``remove()``.
struct StoreTemporaryDirectory {
    let path: String

    init() throws {
        var template = Array("/tmp/conclave-store-XXXXXX".utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        path = try #require(created)
    }

    func remove() {
        Self.removeTree(path)
    }

    /// Depth first, and without following symbolic links, so only this tree is touched.
    private static func removeTree(_ path: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        if status.st_mode & S_IFMT == S_IFDIR, let directory = opendir(path) {
            var children: [String] = []
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { children.append(path + "/" + name) }
            }
            closedir(directory)
            children.forEach(removeTree)
            rmdir(path)
        } else {
            unlink(path)
        }
    }
}

/// Runs `body` with a fresh store of `kind`; the store is released before its directory is removed.
func withStore(_ kind: StoreKind, _ body: (SQLiteStore) throws -> Void) throws {
    let directory = try StoreTemporaryDirectory()
    defer { directory.remove() }
    do {
        let store = try SQLiteStore(at: kind == .memory ? .memory : .directory(directory.path))
        try body(store)
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
