internal import Glibc
import ConclavePOSIX

/// The server's data directory: created private to its owner when missing.
enum DataDirectory {
    /// Creates `path` and any missing parents with mode 0700. An existing directory is left as it is.
    static func create(_ path: String) throws(StoreError) {
        guard !path.isEmpty else { throw StoreError(.unavailable, "the data directory path is empty") }
        guard !path.utf8.contains(0) else {
            throw StoreError(.unavailable, "the data directory path contains a NUL byte")
        }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 {
                let failure = errno
                guard failure == EEXIST else {
                    throw StoreError(.unavailable, "cannot create directory \(prefix): \(describe(failure))")
                }
            }
            prefix += "/"
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            let failure = errno
            throw StoreError(.unavailable, "cannot use directory \(path): \(describe(failure))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw StoreError(.unavailable, "cannot use directory \(path): not a directory")
        }
    }

    private static func describe(_ failure: Int32) -> String {
        Errno(rawValue: failure).description
    }
}
