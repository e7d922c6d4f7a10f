internal import Glibc
import ConclavePOSIX
import ConclaveStore

extension ServeConfiguration.Storage {
    /// The lock file in a data directory; a running server holds an exclusive `flock(2)` on it.
    package static let lockFileName = "conclave.lock"

    /// Locks the data directory (creating it if missing) for as long as the returned descriptor lives, so that a
    /// second server on the same directory is refused instead of sharing the database; nil in memory and for
    /// PostgreSQL, whose database several servers may share.
    package func lock() throws(ServeError) -> FileDescriptor? {
        guard case .directory(let directory) = self else { return nil }
        let path = (directory.hasSuffix("/") ? directory : directory + "/") + Self.lockFileName
        let file: FileDescriptor
        let isLocked: Bool
        do throws(SystemCallError) {
            try FilePaths.createDirectories(directory)
            file = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT, mode: 0o600)
            isLocked = try file.tryLockExclusively()
        } catch {
            throw ServeError(.store, "cannot lock the data directory: \(error)")
        }
        guard isLocked else {
            throw ServeError(.store, "the data directory \(directory) is in use by another conclave-serve "
                + "(\(path) is locked)")
        }
        return file
    }

    /// Opens the store this configuration names, committing with `sync` (SQLite; PostgreSQL's durability is its
    /// own); the runner takes any ``ServerStore``.
    package func openStore(sync: SyncMode) throws(ServeError) -> any ServerStore {
        do {
            switch self {
            case .directory(let path): return try SQLiteStore(at: .directory(path), sync: sync)
            case .ephemeral: return try SQLiteStore(at: .memory)
            case .postgres(let url): return try PostgresStore(url: url)
            }
        } catch {
            throw ServeError(.store, "cannot open the store: \(error.message)")
        }
    }
}
