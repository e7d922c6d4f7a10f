import ConclavePOSIX

/// The server's data directory: created private to its owner when missing.
enum DataDirectory {
    /// Creates `path` and any missing parents with mode 0700. An existing directory is left as it is.
    static func create(_ path: String) throws(StoreError) {
        guard !path.isEmpty else { throw StoreError(.unavailable, "the data directory path is empty") }
        guard !path.utf8.contains(0) else {
            throw StoreError(.unavailable, "the data directory path contains a NUL byte")
        }
        do {
            try FilePaths.createDirectories(path)
        } catch {
            let verb = error.operation == "mkdir" && error.path != path ? "create" : "use"
            throw StoreError(.unavailable, "cannot \(verb) directory \(error.path): \(error.reason)")
        }
    }
}
