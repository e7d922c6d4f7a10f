internal import CSodium

/// libsodium's one-time initialisation (thread-safe, idempotent; picks the fastest implementations and opens the
/// random source).
enum Sodium {
    /// Evaluated once, on first use, by the Swift runtime's lazy global initialisation.
    private static let initialized: Bool = sodium_init() >= 0

    /// Call before any libsodium function.
    static func ensureInitialized() {
        // sodium_init fails only when the system has no random source: nothing can be signed safely then.
        precondition(initialized, "libsodium could not be initialised (no random source)")
    }
}
