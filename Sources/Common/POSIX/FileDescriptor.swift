#if canImport(Glibc)
package import Glibc
#endif

/// An open file descriptor, closed when the value is released.
package final class FileDescriptor {
    let rawValue: Int32
    /// The path it was opened with, for error messages.
    package let path: String

    private init(rawValue: Int32, path: String) {
        self.rawValue = rawValue
        self.path = path
    }

    deinit { close(rawValue) }

    /// Opens `path` with `flags` (`O_CLOEXEC` is always added) and, when creating, `mode`.
    package static func open(_ path: String, flags: Int32, mode: mode_t = 0) throws(SystemCallError) -> FileDescriptor {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw SystemCallError("open", path: path) }
        return FileDescriptor(rawValue: fd, path: path)
    }

    /// Creates a unique file next to `path` (mode 0600, `O_EXCL`, as `mkstemp` guarantees) and returns it
    /// with its name.
    static func makeTemporary(besides path: String) throws(SystemCallError) -> (FileDescriptor, String) {
        var template = Array("\(path).tmp-XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw SystemCallError("mkstemp", path: path) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        let name = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (FileDescriptor(rawValue: fd, path: name), name)
    }

    /// Takes an exclusive `flock(2)` without waiting; false when another open file holds one. The lock goes with
    /// the descriptor.
    package func tryLockExclusively() throws(SystemCallError) -> Bool {
        while flock(rawValue, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw SystemCallError("flock", path: path)
        }
        return true
    }

    package func status() throws(SystemCallError) -> stat {
        var info = stat()
        guard fstat(rawValue, &info) == 0 else { throw SystemCallError("fstat", path: path) }
        return info
    }

    /// Reads into `buffer` until end of file or until it is full; returns the number of bytes read.
    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(SystemCallError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = Glibc.read(rawValue, buffer.baseAddress! + filled, buffer.count - filled)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("read", path: path)
            }
            filled += count
        }
        return filled
    }

    /// Writes every byte, retrying after signals and short writes.
    package func writeAll(_ bytes: UnsafeRawBufferPointer) throws(SystemCallError) {
        do {
            try ConclavePOSIX.writeAll(bytes, to: rawValue)
        } catch {
            throw SystemCallError("write", path: path, errorNumber: error.rawValue)
        }
    }

    package func synchronize() throws(SystemCallError) {
        guard fsync(rawValue) == 0 else { throw SystemCallError("fsync", path: path) }
    }

    func setMode(_ mode: mode_t) throws(SystemCallError) {
        guard fchmod(rawValue, mode) == 0 else { throw SystemCallError("chmod", path: path) }
    }

    /// Waits for an exclusive advisory lock (`flock`), held until the descriptor is closed.
    package func lockExclusively() throws(SystemCallError) {
        while flock(rawValue, LOCK_EX) != 0 {
            guard errno == EINTR else { throw SystemCallError("flock", path: path) }
        }
    }
}
