import ConclavePOSIX

/// The process-wide generation of each defaulted handle base (PROTOCOL.md §7.6): generation 1 is the bare
/// base, then `<base>-2`, `<base>-3`… When the flapping breaker of any link trips, the next dial of every
/// link of this process uses the new name.
enum HandleGenerations {
    private static let generations = ProcessWideLock<[String: Int]>([:])

    /// The handle for `generation` of `base`.
    static func handle(base: String, generation: Int) -> String {
        generation <= 1 ? base : "\(base)-\(generation)"
    }

    /// The generation now in use for `base`.
    static func current(base: String) -> Int {
        generations.withLock { $0[base] ?? 1 }
    }

    /// Moves `base` past `generation` if that is still the one in use; returns the new generation, or nil when
    /// another link already moved it on (then there is nothing to announce).
    static func advance(base: String, from generation: Int) -> Int? {
        generations.withLock { generations in
            let current = generations[base] ?? 1
            guard current == generation else { return nil }
            generations[base] = current + 1
            return current + 1
        }
    }
}
