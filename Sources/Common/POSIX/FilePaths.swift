#if canImport(Glibc)
package import Glibc
#endif

/// Path and directory operations shared by the key file and `config.toml`.
package enum FilePaths {
    /// `directory/name`, without doubling a trailing slash.
    package static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The directory part of `path` (`.` when it has none).
    package static func directory(of path: String) -> String {
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// `mkdir -p`, each directory it creates with mode 0700 (less the umask): the config directory holds the
    /// machine's identity (like ssh's `~/.ssh`), the data directory the server's state, the `--fifo` directory a
    /// session's traffic; only their owner may list or enter them. Existing directories are left as they are.
    package static func createDirectories(_ path: String) throws(SystemCallError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if component != ".", component != "..", mkdir(prefix, 0o700) != 0, errno != EEXIST {
                throw SystemCallError("mkdir", path: prefix)
            }
            prefix += "/"
        }
        var info = stat()
        guard stat(path, &info) == 0 else { throw SystemCallError("stat", path: path) }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw SystemCallError("mkdir", path: path, errorNumber: ENOTDIR) }
    }

    /// Replaces `path` atomically: the bytes go to a temporary file in the same directory (created 0600, then set
    /// to `mode`), which is synced and renamed over `path`, so a reader sees the old file or the new one, never
    /// part of either, and a secret is never in a file with a wider mode.
    package static func replaceAtomically(
        _ path: String, mode: mode_t, writing write: (FileDescriptor) throws(SystemCallError) -> Void
    ) throws(SystemCallError) {
        let (file, temporaryPath) = try FileDescriptor.makeTemporary(besides: path)
        do throws(SystemCallError) {
            try file.setMode(mode)
            try write(file)
            try file.synchronize()
            guard rename(temporaryPath, path) == 0 else { throw SystemCallError("rename", path: path) }
        } catch {
            unlink(temporaryPath)
            throw error
        }
        synchronizeDirectory(of: path)
    }

    /// Makes a rename or creation in the directory durable; best effort, as some file systems refuse it.
    package static func synchronizeDirectory(of path: String) {
        let fd = open(directory(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// The path quoted for a shell command line when it needs it, for "run `chmod 600 PATH`" advice.
    package static func shellQuoted(_ path: String) -> String {
        let safe = path.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "/"), UInt8(ascii: "."), UInt8(ascii: "_"),
                 UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "@"), UInt8(ascii: ":"), UInt8(ascii: ","):
                true
            default:
                false
            }
        }
        if safe && !path.isEmpty { return path }
        return "'" + path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }
}
