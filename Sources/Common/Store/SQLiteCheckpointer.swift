internal import CSQLite
internal import Glibc
import ConclavePOSIX

/// Checkpoints a WAL database from a thread of its own, with a connection of its own.
///
/// The committing connection runs with `wal_autocheckpoint` off: otherwise the commit that crosses the WAL's
/// threshold copies the WAL into the database file and fsyncs it on the event loop's thread, stalling every
/// session for tens of milliseconds. A PASSIVE checkpoint here takes no lock a writer needs, so commits go on
/// meanwhile; once it has copied everything, the next commit starts the WAL over from its beginning.
///
/// Under a steady stream of commits a PASSIVE checkpoint never catches up, so the WAL would only grow (about
/// 16 KB per commit). Past ``restartFrames`` frames a RESTART checkpoint follows: it holds the write lock while
/// it copies the few frames written since the PASSIVE one and syncs, so a commit may wait that long, once per
/// 16 MB of WAL rather than at every 4 MB (SQLite's automatic checkpoint) and never for the bulk of the copy.
final class SQLiteCheckpointer {
    /// 16 MB of 4 KB pages.
    private static let restartFrames: Int64 = 4_096

    private let worker: Worker
    private let thread: BackgroundThread

    /// Opens a second connection to the database at `path` and checkpoints it every `intervalMs`.
    init(path: String, intervalMs: Int32) throws(StoreError) {
        let worker = try Worker(path: path, intervalMs: intervalMs)
        self.worker = worker
        do {
            thread = try BackgroundThread { worker.run() }
        } catch {
            throw StoreError(.unavailable, "cannot start the checkpoint thread: \(error.reason)")
        }
    }

    /// Stops the thread, after the checkpoint in progress if any, and waits for it.
    deinit {
        worker.stop()
        thread.join()
    }

    /// What the thread owns: the connection (touched by the thread only, once started) and the pipe that
    /// wakes it to stop.
    private final class Worker: @unchecked Sendable {
        private let connection: SQLiteConnection
        private let intervalMs: Int32
        private let wake: WakeupPipe

        init(path: String, intervalMs: Int32) throws(StoreError) {
            connection = try SQLiteConnection(path: path)
            // A checkpoint gives way to nothing but another checkpoint; never wait long for one.
            try connection.prepare("PRAGMA busy_timeout = 100").run()
            self.intervalMs = intervalMs
            do {
                wake = try WakeupPipe()
            } catch {
                throw StoreError(.unavailable, "cannot create a pipe: \(error.reason)")
            }
        }

        func stop() {
            wake.wake()
        }

        /// PASSIVE, then RESTART when the WAL is long and the PASSIVE one could not copy all of it.
        private func checkpoint() {
            let frames = try? connection.prepare("PRAGMA wal_checkpoint(PASSIVE)").firstRow([]) {
                (log: $0.integer(1), copied: $0.integer(2))
            }
            guard let frames, frames.log > SQLiteCheckpointer.restartFrames, frames.copied < frames.log else { return }
            _ = try? connection.execute("PRAGMA wal_checkpoint(RESTART)")
        }

        func run() {
            var poller = pollfd(fd: wake.readDescriptor, events: Int16(POLLIN), revents: 0)
            // A failed checkpoint (I/O error, a busy lock) is retried at the next interval; the WAL only grows
            // meanwhile, and the commits report their own failures.
            while true {
                let ready = poll(&poller, 1, intervalMs)
                if ready == 0 {
                    checkpoint()
                } else if ready > 0 || errno != EINTR {
                    return
                }
            }
        }
    }
}
