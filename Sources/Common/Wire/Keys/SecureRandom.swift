internal import CSodium

/// The one source of unpredictable bytes (libsodium's CSPRNG, getrandom(2) underneath): keys, nonces, invite
/// tokens, instance ids, WebSocket keys and masks.
package enum SecureRandom {
    /// Fills `buffer`.
    package static func fill(_ buffer: UnsafeMutableRawBufferPointer) {
        Sodium.ensureInitialized()
        guard let base = buffer.baseAddress else { return }
        randombytes_buf(base, buffer.count)
    }

    /// `count` fresh bytes.
    package static func bytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        bytes.withUnsafeMutableBytes { fill($0) }
        return bytes
    }
}
