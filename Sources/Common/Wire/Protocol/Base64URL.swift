internal import CSodium

/// Base64url without padding (RFC 4648 §5), the text form of every key, nonce and byte string.
package enum Base64URL {
    /// Encodes bytes as unpadded base64url.
    package static func encode(_ bytes: some Collection<UInt8>) -> String {
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
    package static func decode(_ text: String) throws(Base64URLError) -> [UInt8] {
        let input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 3 / 4 + 1)
        let result = input.withUnsafeBytes { source in
            output.withUnsafeMutableBytes { destination in
                Result { () throws(Base64URLError) in try decode(utf8: source, into: destination, quotedText: text) }
            }
        }
        return Array(output.prefix(try result.get()))
    }

    /// Decodes into caller-owned memory, so secret text (a key file) never passes through a `String` or `Array`
    /// that cannot be wiped. `output` needs `input.count * 3 / 4 + 1` bytes. `quotedText` is what the error shows
    /// (empty for secrets). Returns the number of bytes written.
    package static func decode(
        utf8 input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, quotedText: String
    ) throws(Base64URLError) -> Int {
        if input.isEmpty { return 0 }
        guard input.count % 4 != 1 else { throw Base64URLError(text: quotedText, reason: "impossible length") }
        for byte in input where !isAlphabet(byte) {
            let reason = byte == UInt8(ascii: "=")
                ? "padding is not allowed" : "character outside the base64url alphabet"
            throw Base64URLError(text: quotedText, reason: reason)
        }
        guard let destination = output.baseAddress, output.count >= input.count * 3 / 4 else {
            preconditionFailure("base64url output too small")
        }
        var written = 0
        var end: UnsafePointer<CChar>?
        let status = sodium_base642bin(
            destination.assumingMemoryBound(to: UInt8.self), output.count,
            input.baseAddress?.assumingMemoryBound(to: CChar.self), input.count, nil, &written, &end,
            sodium_base64_VARIANT_URLSAFE_NO_PADDING)
        guard status == 0 else { throw Base64URLError(text: quotedText, reason: "non-canonical encoding") }
        return written
    }

    /// Encodes into caller-owned memory (for secrets). `output` needs `encodedCapacity(input.count)` bytes.
    /// Returns the number of characters written, without the terminating NUL.
    package static func encode(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) -> Int {
        let variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING
        precondition(output.count >= sodium_base64_encoded_len(input.count, variant), "base64url output too small")
        guard let destination = output.baseAddress else { preconditionFailure("base64url output too small") }
        _ = sodium_bin2base64(
            destination.assumingMemoryBound(to: CChar.self), output.count,
            input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, variant)
        return sodium_base64_encoded_len(input.count, variant) - 1
    }

    /// Bytes `encode(_:into:)` needs for `count` input bytes, including the terminating NUL.
    package static func encodedCapacity(_ count: Int) -> Int {
        sodium_base64_encoded_len(count, sodium_base64_VARIANT_URLSAFE_NO_PADDING)
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
package struct Base64URLError: Error, Hashable, Sendable, CustomStringConvertible {
    package var text: String
    package var reason: String
    package var description: String { "invalid base64url (\(reason))" }
}
