@testable import ConclaveWire

/// An Ed25519 identity derived from a seed, signing as a client would (§5.1): a `SigningKey` with known bytes.
struct TestIdentity {
    private let key: SigningKey

    init(seed: [UInt8]) {
        key = SigningKey(seed: SecretSeed(testBytes: seed))
    }

    var publicKey: [UInt8] { key.publicKey.bytes }

    /// The §5.1 test identity (seed 00..1f).
    static let vector = TestIdentity(seed: seed)

    // The §5.1 test vector, as text and bytes.
    static let seed = (0..<32).map { UInt8($0) }
    static let keyFileText = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
    static let publicKeyText = "A6EHv_POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg"
    static let publicKeyHex = "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    static let nonce = (0x20..<0x40).map { UInt8($0) }
    static let signatureHex = "46fc09cc6f1d97d241e1b7a6fd1e46f788e6841d25eabbf3b5a9a44590086187"
        + "e42bedd04abff976d21e0387600b49f2552012e4a9bc4b15966a82b444db3001"

    /// A distinct identity per number.
    init(_ number: UInt8) { self.init(seed: (0..<32).map { $0 &+ number &* 7 &+ 100 }) }

    var text: String { Base64URL.encode(publicKey) }

    func sign(_ message: [UInt8]) -> [UInt8] {
        key.signature(for: message)
    }
}
