import Testing
@testable import ConclaveCLI
@testable import ConclaveWire

private func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
        let digits = String(byte, radix: 16)
        return digits.count == 1 ? "0" + digits : digits
    }.joined()
}

@Suite struct IdentitySigningTests {
    @Test func derivesTheTestPublicKey() {
        let key = SecretSeed(testBytes: TestIdentity.seed).signingKey()
        #expect(key.publicKey.text == TestIdentity.publicKeyText)
        #expect(hexString(key.publicKey.bytes) == TestIdentity.publicKeyHex)
        #expect(key.publicKey.description == TestIdentity.publicKeyText)
    }

    @Test func signsTheNonceExactlyAsTheVector() {
        let key = SecretSeed(testBytes: TestIdentity.seed).signingKey()
        let signature = key.signature(for: TestIdentity.nonce)
        #expect(hexString(signature) == TestIdentity.signatureHex)
        #expect(key.publicKey.isValidSignature(signature, of: TestIdentity.nonce))
    }

    @Test func rejectsTamperedMessagesAndSignatures() {
        let key = SecretSeed(testBytes: TestIdentity.seed).signingKey()
        let signature = key.signature(for: TestIdentity.nonce)
        var message = TestIdentity.nonce
        message[31] ^= 1
        #expect(!key.publicKey.isValidSignature(signature, of: message))
        #expect(!key.publicKey.isValidSignature(signature, of: TestIdentity.nonce.dropLast()))
        var forged = signature
        forged[0] ^= 0x80
        #expect(!key.publicKey.isValidSignature(forged, of: TestIdentity.nonce))
        #expect(!key.publicKey.isValidSignature(Array(signature.dropLast()), of: TestIdentity.nonce))
        let other = SecretSeed.generate().signingKey()
        #expect(!other.publicKey.isValidSignature(signature, of: TestIdentity.nonce))
    }

    @Test func generatedSeedsDiffer() {
        #expect(SecretSeed.generate().signingKey().publicKey != SecretSeed.generate().signingKey().publicKey)
    }

    @Test func parsesPublicKeyTextStrictly() throws {
        #expect(try PublicKey(text: TestIdentity.publicKeyText).text == TestIdentity.publicKeyText)
        #expect(throws: PublicKeyError.self) { try PublicKey(text: TestIdentity.publicKeyText + "=") }
        #expect(throws: PublicKeyError.self) { try PublicKey(text: " " + TestIdentity.publicKeyText) }
        #expect(throws: PublicKeyError.self) { try PublicKey(text: String(TestIdentity.publicKeyText.dropLast(2))) }
        #expect(throws: PublicKeyError.self) { try PublicKey(bytes: [UInt8](repeating: 1, count: 33)) }
    }

    @Test func enrollmentFrameIsOneCompactLineWithTypeFirst() throws {
        let key = try PublicKey(text: TestIdentity.publicKeyText)
        let line = Keygen.enrollmentFrame(machineName: "lap \"top\"/ü", publicKey: key).jsonLine()
        #expect(line == #"{"type":"admin","op":"machine_add","name":"lap \"top\"/ü","pubkey":"\#(key.text)"}"#)
    }
}
