import ConclaveStore

extension ServeConfiguration.Storage {
    /// Opens the store this configuration names; the runner takes any ``ServerStore``.
    package func openStore() throws(ServeError) -> any ServerStore {
        do {
            switch self {
            case .directory(let path): return try SQLiteStore(at: .directory(path))
            case .ephemeral: return try SQLiteStore(at: .memory)
            }
        } catch {
            throw ServeError(.store, "cannot open the store: \(error.message)")
        }
    }
}
