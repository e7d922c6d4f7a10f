internal import CSodium

/// The `Sec-WebSocket-Key` / `Sec-WebSocket-Accept` pair of the opening handshake (RFC 6455 §4).
package enum WebSocketHandshakeKey {
    /// Appended to the client's key before hashing (RFC 6455 §1.3).
    private static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// A fresh client key: 16 random bytes in standard, padded base64.
    package static func generate() -> String {
        encodeBase64(SecureRandom.bytes(16))
    }

    /// The `Sec-WebSocket-Accept` value for a client key: base64(SHA-1(key + GUID)).
    package static func acceptValue(forKey key: String) -> String {
        encodeBase64(SHA1.digest(Array((key + acceptGUID).utf8)))
    }

    /// Whether a client key is valid: standard base64 of exactly 16 bytes (RFC 6455 §4.2.1).
    package static func isValid(_ key: String) -> Bool {
        let input = Array(key.utf8)
        guard input.count == 24 else { return false }
        var output = [UInt8](repeating: 0, count: 18)
        var written = 0
        let status = input.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { chars in
                sodium_base642bin(
                    &output, output.count, chars.baseAddress, chars.count, nil, &written, nil,
                    sodium_base64_VARIANT_ORIGINAL)
            }
        }
        return status == 0 && written == 16
    }

    private static func encodeBase64(_ bytes: [UInt8]) -> String {
        let variant = sodium_base64_VARIANT_ORIGINAL
        let capacity = sodium_base64_encoded_len(bytes.count, variant)
        var output = [CChar](repeating: 0, count: capacity)
        bytes.withUnsafeBufferPointer { source in
            _ = sodium_bin2base64(&output, capacity, source.baseAddress, source.count, variant)
        }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
