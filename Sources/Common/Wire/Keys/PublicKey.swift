internal import CSodium

/// An Ed25519 public key: 32 raw bytes, written as 43 characters of unpadded base64url (PROTOCOL.md §8.3).
package struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// Bytes in a public key.
    package static let byteCount = 32

    /// The raw 32 bytes, as carried in `auth`, `register` and `machine_add`.
    package let bytes: [UInt8]

    init(validatedBytes: [UInt8]) { bytes = validatedBytes }

    /// A public key from raw bytes; anything but 32 bytes is refused.
    package init(bytes: [UInt8]) throws(PublicKeyError) {
        guard bytes.count == Self.byteCount else {
            throw PublicKeyError(code: .wrongLength, detail: "\(bytes.count) bytes, expected \(Self.byteCount)")
        }
        self.bytes = bytes
    }

    /// Parses the enrolment text strictly (§8.2: no padding, no whitespace, canonical, exactly 32 bytes).
    package init(text: String) throws(PublicKeyError) {
        let decoded: [UInt8]
        do {
            decoded = try Base64URL.decode(text)
        } catch {
            throw PublicKeyError(code: .notBase64URL, detail: error.reason)
        }
        try self.init(bytes: decoded)
    }

    /// The enrolment text: 43 characters of unpadded base64url.
    package var text: String { Base64URL.encode(bytes) }

    package var description: String { text }

    /// Whether `signature` is this key's valid Ed25519 signature of exactly `message`.
    package func isValidSignature(_ signature: [UInt8], of message: some Collection<UInt8>) -> Bool {
        guard signature.count == SigningKey.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        let message = Array(message)
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), bytes) == 0
    }
}

/// Public-key text or bytes that are not a valid Ed25519 public key.
package struct PublicKeyError: Error, CustomStringConvertible, Hashable {
    package struct Code: Hashable, Sendable {
        private let rawValue: String
        package static let notBase64URL = Code(rawValue: "not base64url")
        package static let wrongLength = Code(rawValue: "wrong length")
    }

    package var code: Code
    /// What exactly was wrong, e.g. "padding is not allowed" or "31 bytes, expected 32".
    package var detail: String

    package var description: String { "invalid public key: \(detail)" }
}
