/// Fresh masking keys for a client's frames, drawn from libsodium's CSPRNG in batches: each call
/// into it is a getrandom(2) system call (about 1.5 µs here), and a client masks every frame.
struct WebSocketMaskingKeySource: Sendable {
    private static let batchSize = 64
    private var keys: [UInt32] = []

    /// An unpredictable key, never handed out twice.
    mutating func next() -> WebSocketMaskingKey {
        if keys.isEmpty {
            keys = [UInt32](repeating: 0, count: Self.batchSize)
            keys.withUnsafeMutableBytes { SecureRandom.fill($0) }
        }
        return WebSocketMaskingKey(rawValue: keys.removeLast())
    }
}
