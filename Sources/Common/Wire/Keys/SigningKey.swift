internal import CSodium

/// An Ed25519 key pair derived from a seed (RFC 8032 "pure" Ed25519, as libsodium's `crypto_sign_seed_keypair`),
/// used to answer the server's challenge (PROTOCOL.md §5.1, §5.3).
package final class SigningKey: Sendable {
    /// Bytes in a signature.
    package static let signatureByteCount = 64

    package let publicKey: PublicKey
    /// libsodium's 64-byte secret key (seed followed by public key): as secret as the seed.
    private let secretKey: SecretBuffer

    package init(seed: SecretSeed) {
        Sodium.ensureInitialized()
        let secretKey = SecretBuffer(count: Int(crypto_sign_SECRETKEYBYTES))
        var publicBytes = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        seed.buffer.withUnsafeBytes { seedBytes in
            secretKey.withUnsafeMutableBytes { secretBytes in
                _ = crypto_sign_seed_keypair(
                    &publicBytes, secretBytes.baseAddress!.assumingMemoryBound(to: UInt8.self),
                    seedBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
            }
        }
        self.secretKey = secretKey
        self.publicKey = PublicKey(validatedBytes: publicBytes)
    }

    /// The 64-byte detached signature of exactly `message` (for `auth`: the challenge nonce as received).
    package func signature(for message: some Collection<UInt8>) -> [UInt8] {
        let message = Array(message)
        var signature = [UInt8](repeating: 0, count: Self.signatureByteCount)
        secretKey.withUnsafeBytes { secretBytes in
            _ = crypto_sign_detached(
                &signature, nil, message, UInt64(message.count),
                secretBytes.baseAddress!.assumingMemoryBound(to: UInt8.self))
        }
        return signature
    }
}
