#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import ConclaveIdentity
@testable import ConclaveWire

@Suite struct IdentityKeyFileTests {
    @Test(arguments: [
        TestIdentity.keyFileText, TestIdentity.keyFileText + "\n", "  \t" + TestIdentity.keyFileText + " \r\n\n",
    ])
    func loadsTheTestKeyWithSurroundingWhitespace(_ content: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(content, to: "key")
        let seed = try KeyFile(path: path).load()
        #expect(seed.signingKey().publicKey.text == TestIdentity.publicKeyText)
    }

    @Test(arguments: [
        ("", "is empty"),
        (" \n", "is empty"),
        (TestIdentity.keyFileText + "=", "padding is not allowed"),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "padding is not allowed"),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg", "is not a key (43 base64url characters expected, found 42)"),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", "43 base64url characters expected, found 44"),
        ("garbage", "is not a key (43 base64url characters expected, found 7)"),
        ("garbage\n", "is not a key (43 base64url characters expected, found 7)"),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", "non-canonical"),
        ("AAECAwQFBgcICQoLDA0O DxAREhMUFRYXGBkaGxwdHh8", "outside the base64url alphabet"),
        ("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd+h8", "outside the base64url alphabet"),
        ("not a key at all", "is not a key (43 base64url characters expected; character outside the base64url"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "outside the base64url alphabet"),
    ])
    func refusesMalformedContent(_ content: String, _ reason: String) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(content, to: "key")
        let error = try #require(throws: KeyFileError.self) { try KeyFile(path: path).load() }
        #expect(error.code == .malformed)
        #expect(error.exitStatus == .dataError)
        #expect(error.description.contains(path))
        #expect(error.description.contains(reason), "\(error.description)")
        #expect(!error.description.contains("AAECAwQF"), "the message must not quote the secret")
    }

    @Test func neverTrapsOnRandomContent() throws {
        let directory = try TemporaryDirectory()
        let alphabet = Array("AB_-z9= \n\t+/".utf8) + [0x00, 0xFF]
        var generator = SplitMix64(seed: 0x4B45_59)
        for round in 0..<300 {
            let length = Int(generator.next() % 50)
            let bytes = (0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            let path = try directory.write(String(decoding: bytes, as: UTF8.self), to: "key\(round)")
            if let seed = try? KeyFile(path: path).load() {
                #expect(seed.signingKey().publicKey.bytes.count == 32)
            }
        }
    }

    @Test func refusesAHugeFileWithoutReadingItAll() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(String(repeating: "A", count: 100_000), to: "key")
        let error = try #require(throws: KeyFileError.self) { try KeyFile(path: path).load() }
        #expect(error.code == .malformed)
        #expect(error.description.contains("larger than 4096 bytes"))
    }

    @Test(arguments: [0o640, 0o604, 0o660, 0o644, 0o602, 0o620, 0o666])
    func refusesAKeyGroupOrOthersCanAccess(_ mode: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(TestIdentity.keyFileText, to: "key", mode: mode_t(mode))
        let error = try #require(throws: KeyFileError.self) { try KeyFile(path: path).load() }
        #expect(error.code == .insecurePermissions)
        #expect(error.exitStatus == .refused)
        #expect(error.description.contains("chmod 600 \(path)"))
    }

    @Test(arguments: [0o600, 0o400])
    func acceptsOwnerOnlyModes(_ mode: Int) throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(TestIdentity.keyFileText, to: "key", mode: mode_t(mode))
        #expect(try KeyFile(path: path).load().signingKey().publicKey.text == TestIdentity.publicKeyText)
    }

    @Test func quotesAPathWithSpacesInTheAdvice() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(TestIdentity.keyFileText, to: "my key", mode: 0o644)
        let error = try #require(throws: KeyFileError.self) { try KeyFile(path: path).load() }
        #expect(error.description.contains("chmod 600 '\(path)'"))
    }

    @Test func reportsAMissingKeyAsStatus66() throws {
        let directory = try TemporaryDirectory()
        let error = try #require(throws: KeyFileError.self) {
            try KeyFile(path: directory.appending("nowhere/key")).load()
        }
        #expect(error.code == .missing)
        #expect(error.exitStatus == .noInput)
        #expect(error.description.contains("conclave-keygen"))
    }

    @Test func refusesADirectoryOrFifo() throws {
        let directory = try TemporaryDirectory()
        mkdir(directory.appending("dir"), 0o700)
        mkfifo(directory.appending("fifo"), 0o600)
        for name in ["dir", "fifo"] {
            let error = try #require(throws: KeyFileError.self) { try KeyFile(path: directory.appending(name)).load() }
            #expect(error.code == .malformed)
            #expect(error.description.contains("not a regular file"))
        }
    }

    @Test func createsTheFileWithMode0600AndExactContent() throws {
        let directory = try TemporaryDirectory()
        let keyFile = KeyFile(path: directory.appending("a/b/key"))
        try keyFile.create(SecretSeed(testBytes: TestIdentity.seed))
        #expect(try readFile(keyFile.path) == Array(TestIdentity.keyFileText.utf8))
        #expect(try fileMode(keyFile.path) == 0o600)
        #expect(try keyFile.load().signingKey().publicKey.text == TestIdentity.publicKeyText)
    }

    @Test func neverOverwritesOnCreate() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write(TestIdentity.keyFileText, to: "key")
        let error = try #require(throws: KeyFileError.self) { try KeyFile(path: path).create(.generate()) }
        #expect(error.code == .alreadyExists)
        #expect(error.description.contains("--force"))
        #expect(try readFile(path) == Array(TestIdentity.keyFileText.utf8))
    }

    @Test func replacesAtomicallyWithMode0600AndNoLeftovers() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("old", to: "key", mode: 0o644)
        try KeyFile(path: path).replace(with: SecretSeed(testBytes: TestIdentity.seed))
        #expect(try readFile(path) == Array(TestIdentity.keyFileText.utf8))
        #expect(try fileMode(path) == 0o600)
        #expect(try directoryEntries(directory.path) == ["key"])
    }

    private func directoryEntries(_ path: String) throws -> [String] {
        guard let directory = opendir(path) else { throw TestFailure("opendir \(path)") }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
