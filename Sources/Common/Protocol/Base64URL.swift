internal import CSodium

/// Base64url without padding (RFC 4648 §5), the text form of every key, nonce and byte string.
public enum Base64URL {
    /// Encodes bytes as unpadded base64url.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        let input = Array(bytes)
        let variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING
        let capacity = sodium_base64_encoded_len(input.count, variant)
        var output = [CChar](repeating: 0, count: capacity)
        input.withUnsafeBufferPointer { source in
            _ = sodium_bin2base64(&output, capacity, source.baseAddress, source.count, variant)
        }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes strictly: no padding, no characters outside the alphabet, no whitespace, and a canonical
    /// last character (unused low bits zero), as upstream's decoder requires (PROTOCOL.md §8.2).
    public static func decode(_ text: String) throws(Base64URLError) -> [UInt8] {
        let input = Array(text.utf8)
        if input.isEmpty { return [] }
        guard input.count % 4 != 1 else { throw Base64URLError(text: text, reason: "impossible length") }
        for byte in input where !isAlphabet(byte) {
            let reason = byte == UInt8(ascii: "=") ? "padding is not allowed" : "character outside the base64url alphabet"
            throw Base64URLError(text: text, reason: reason)
        }
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 1)
        var written = 0
        var end: UnsafePointer<CChar>?
        let status = input.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { chars in
                sodium_base642bin(
                    &output, output.count, chars.baseAddress, chars.count, nil, &written, &end,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING)
            }
        }
        guard status == 0 else { throw Base64URLError(text: text, reason: "non-canonical encoding") }
        return Array(output.prefix(written))
    }

    private static func isAlphabet(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }
}

/// Text that is not strict unpadded base64url.
public struct Base64URLError: Error, Hashable, Sendable, CustomStringConvertible {
    public var text: String
    public var reason: String
    public var description: String { "invalid base64url (\(reason))" }
}
