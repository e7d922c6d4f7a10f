internal import Glibc
import ConclavePOSIX
import ConclaveStore
import ConclaveWire

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
    /// own); the runner takes any ``ServerStore``. On PostgreSQL this server is one instance of a deployment, so
    /// it also joins the others through the ``ClusterDirectory`` it returns.
    package func openStore(sync: SyncMode) throws(ServeError)
        -> (store: any ServerStore, cluster: (any ClusterDirectory)?) {
        do {
            switch self {
            case .directory(let path): return (try SQLiteStore(at: .directory(path), sync: sync), nil)
            case .ephemeral: return (try SQLiteStore(at: .memory), nil)
            case .postgres(let url):
                let store = try PostgresStore(url: url)
                // A fresh id each run: a restarted instance does not inherit a dead one's presence.
                let instance = Base64URL.encode(SecureRandom.bytes(12))
                let cluster = try PostgresCluster(store: store, url: url, instance: instance)
                return (store, cluster)
            }
        } catch {
            throw ServeError(.store, "cannot open the store: \(error.message)")
        }
    }
}
