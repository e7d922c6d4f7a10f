import ConclaveStore

extension ServeConfiguration.Storage {
    /// Opens the store this configuration names, committing with `sync`; the runner takes any ``ServerStore``.
    package func openStore(sync: SyncMode) throws(ServeError) -> any ServerStore {
        do {
            switch self {
            case .directory(let path): return try SQLiteStore(at: .directory(path), sync: sync)
            case .ephemeral: return try SQLiteStore(at: .memory)
            }
        } catch {
            throw ServeError(.store, "cannot open the store: \(error.message)")
        }
    }
}
