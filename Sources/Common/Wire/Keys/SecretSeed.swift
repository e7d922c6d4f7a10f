internal import CSodium

/// This machine's identity: the 32-byte Ed25519 seed stored in the key file (PROTOCOL.md §5.1, §8.2).
///
/// The bytes live only in memory this object owns and are wiped when it is released. Deliberately not
/// `CustomStringConvertible`, `Equatable` or `Codable`: there is no way to print, compare or serialise it by
/// accident. The only ways out are the key file and the signing key derived from it.
package final class SecretSeed: Sendable {
    /// Bytes in a seed.
    package static let byteCount = 32

    package let buffer: SecretBuffer

    /// Takes ownership of a buffer of exactly `byteCount` bytes.
    package init(buffer: SecretBuffer) {
        precondition(buffer.count == Self.byteCount, "a seed is 32 bytes")
        self.buffer = buffer
    }

    /// A new random seed from the system's random source.
    package static func generate() -> SecretSeed {
        let buffer = SecretBuffer(count: byteCount)
        buffer.withUnsafeMutableBytes { SecureRandom.fill($0) }
        return SecretSeed(buffer: buffer)
    }

    /// A seed from known bytes: for tests and test vectors only, since an `Array` argument cannot be wiped.
    package convenience init(testBytes bytes: [UInt8]) {
        let buffer = SecretBuffer(count: Self.byteCount)
        buffer.withUnsafeMutableBytes { destination in
            bytes.withUnsafeBytes { source in destination.copyMemory(from: source) }
        }
        self.init(buffer: buffer)
    }

    /// The signing key (and with it the public key) derived from this seed.
    package func signingKey() -> SigningKey { SigningKey(seed: self) }
}
