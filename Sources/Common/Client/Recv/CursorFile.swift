#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// The `--cursor FILE` of `conclave-recv`, held under an exclusive lock for the whole run, so that two runs with
/// one FILE never print the same message: the second waits for the first.
///
/// A save replaces FILE atomically (a new file renamed over it), so the lock travels with it: the new file is
/// locked before the rename, and a run that waited on a file that was since replaced opens FILE again.
package final class CursorFile {
    package let path: String
    /// What FILE held when the lock was taken; empty for a new FILE.
    package let contents: [UInt8]
    private var held: FileDescriptor

    private init(path: String, held: FileDescriptor, contents: [UInt8]) {
        self.path = path
        self.held = held
        self.contents = contents
    }

    /// Opens FILE (created empty, mode 0600, when missing) and takes its lock, waiting at most until `deadline`
    /// when there is one; nil when the deadline passed first.
    package static func lock(_ path: String, until deadline: MonotonicInstant?) throws(RecvError) -> CursorFile? {
        do throws(SystemCallError) {
            while true {
                let file = try FileDescriptor.open(path, flags: O_RDWR | O_CREAT, mode: 0o600)
                while try !file.tryLockExclusively() {
                    if let deadline, deadline.hasPassed { return nil }
                    usleep(10_000)
                }
                var current = stat()
                let held = try file.status()
                // Replaced while this run waited: the lock that counts is the one on the file now at `path`.
                guard stat(path, &current) == 0, current.st_ino == held.st_ino, current.st_dev == held.st_dev else {
                    continue
                }
                var contents = [UInt8](repeating: 0, count: Int(held.st_size))
                let count = try contents.withUnsafeMutableBytes { buffer in
                    Result { () throws(SystemCallError) in try file.read(into: buffer) }
                }.get()
                return CursorFile(path: path, held: file, contents: Array(contents.prefix(count)))
            }
        } catch {
            throw RecvError(.input, "cursor \(error)")
        }
    }

    /// Replaces FILE with `line` and a newline. Not synced: it survives the run being killed, which is what it
    /// is for, and a save per record stays cheap.
    package func save(_ line: String) throws(RecvError) {
        let temporaryPath = path + ".tmp"
        do throws(SystemCallError) {
            let file = try FileDescriptor.open(temporaryPath, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            guard try file.tryLockExclusively() else { throw SystemCallError("flock", path: temporaryPath) }
            try Array((line + "\n").utf8).withUnsafeBytes { bytes in
                Result { () throws(SystemCallError) in try file.writeAll(bytes) }
            }.get()
            guard rename(temporaryPath, path) == 0 else { throw SystemCallError("rename", path: path) }
            held = file
        } catch {
            unlink(temporaryPath)
            throw RecvError(.system, "cannot save the cursor: \(error)")
        }
    }
}
