internal import CSodium

/// An Ed25519 public key: 32 raw bytes, written as 43 characters of unpadded base64url (PROTOCOL.md §8.3).
public struct PublicKey: Hashable, Sendable, CustomStringConvertible {
    /// Bytes in a public key.
    public static let byteCount = 32

    /// The raw 32 bytes, as carried in `auth`, `register` and `machine_add`.
    public let bytes: [UInt8]

    init(validatedBytes: [UInt8]) { bytes = validatedBytes }

    /// A public key from raw bytes; anything but 32 bytes is refused.
    public init(bytes: [UInt8]) throws(PublicKeyError) {
        guard bytes.count == Self.byteCount else {
            throw PublicKeyError(code: .wrongLength, detail: "\(bytes.count) bytes, expected \(Self.byteCount)")
        }
        self.bytes = bytes
    }

    /// Parses the enrolment text strictly (§8.2: no padding, no whitespace, canonical, exactly 32 bytes).
    public init(text: String) throws(PublicKeyError) {
        let decoded: [UInt8]
        do {
            decoded = try Base64URL.decode(text)
        } catch {
            throw PublicKeyError(code: .notBase64URL, detail: error.reason)
        }
        try self.init(bytes: decoded)
    }

    /// The enrolment text: 43 characters of unpadded base64url.
    public var text: String { Base64URL.encode(bytes) }

    public var description: String { text }

    /// Whether `signature` is this key's valid Ed25519 signature of exactly `message`.
    public func isValidSignature(_ signature: [UInt8], of message: some Collection<UInt8>) -> Bool {
        guard signature.count == SigningKey.signatureByteCount else { return false }
        Sodium.ensureInitialized()
        let message = Array(message)
        return crypto_sign_verify_detached(signature, message, UInt64(message.count), bytes) == 0
    }
}

/// Public-key text or bytes that are not a valid Ed25519 public key.
public struct PublicKeyError: Error, CustomStringConvertible, Hashable {
    public struct Code: Hashable, Sendable {
        public let rawValue: String
        public static let notBase64URL = Code(rawValue: "not base64url")
        public static let wrongLength = Code(rawValue: "wrong length")
    }

    public var code: Code
    /// What exactly was wrong, e.g. "padding is not allowed" or "31 bytes, expected 32".
    public var detail: String

    public var description: String { "invalid public key: \(detail)" }
}
