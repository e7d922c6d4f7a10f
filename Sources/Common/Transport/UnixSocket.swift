internal import Glibc

/// A Unix-domain stream socket listening at a file-system path, for the local clients of a running tool
/// (`conclave-connect --socket PATH`). The path is created with the given permissions (0600: only this
/// user) and removed when this object goes away.
package final class UnixListeningSocket {
    package let socket: Socket
    package let path: String

    package var fileDescriptor: Int32 { socket.fileDescriptor }

    /// The longest path a Unix socket address holds, in bytes.
    package static var maximumPathLength: Int { MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1 }

    /// Binds and listens at `path`. A leftover socket file nobody listens on is replaced; a live one is
    /// refused as in use, and anything that is not a socket is left alone and refused.
    package init(path: String, permissions: UInt32 = 0o600, backlog: Int32 = 128) throws(TransportError) {
        let address = try UnixSocketAddress(path: path)
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw TransportError(.listen, "cannot listen on \(path): \(TransportError.errnoText(errno))")
        }
        let socket = Socket(adopting: fd, label: path)
        // The socket file gets its mode at bind time; a umask is the only way to set it without a window
        // in which another user could connect.
        let savedMask = umask(mode_t(~permissions & 0o777))
        var status = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        var isSocketFile = true
        if status != 0 && errno == EADDRINUSE {
            // A regular file (say, a log given by mistake) is never removed; only a socket nobody accepts on is.
            var info = stat()
            isSocketFile = lstat(path, &info) != 0 || info.st_mode & S_IFMT == S_IFSOCK
            if isSocketFile && !UnixSocketAddress.hasListener(address) {
                unlink(path)
                status = address.withSockaddr { Glibc.bind(fd, $0, $1) }
            } else {
                errno = EADDRINUSE
            }
        }
        let bindError = errno
        umask(savedMask)
        guard status == 0 else {
            let reason = bindError != EADDRINUSE ? TransportError.errnoText(bindError)
                : isSocketFile ? "another process is listening there" : "it exists and is not a socket"
            throw TransportError(.listen, "cannot listen on \(path): \(reason)")
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            unlink(path)
            throw TransportError(.listen, "cannot listen on \(path): \(TransportError.errnoText(errno))")
        }
        self.socket = socket
        self.path = path
    }

    deinit { unlink(path) }

    /// The next pending connection (non-blocking), or nil when none is waiting.
    package func accept() throws(TransportError) -> Socket? {
        try socket.acceptConnection(listening: path) { _, _ in "unix:\(path)" }
    }
}

extension Socket {
    /// Connects to a Unix-domain stream socket at `path` (a local connect completes or fails at once).
    package static func connect(unixPath path: String) throws(TransportError) -> Socket {
        let address = try UnixSocketAddress(path: path)
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw TransportError(.connect, "cannot connect to \(path): \(TransportError.errnoText(errno))")
        }
        let socket = Socket(adopting: fd, label: path)
        guard address.withSockaddr({ Glibc.connect(fd, $0, $1) }) == 0 else {
            throw TransportError(.connect, "cannot connect to \(path): \(TransportError.errnoText(errno))")
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        return socket
    }
}

/// A `sockaddr_un` for a path.
struct UnixSocketAddress {
    private var storage = sockaddr_un()

    init(path: String) throws(TransportError) {
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: storage.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw TransportError(.listen, "invalid socket path \(path): at most \(capacity - 1) bytes, no NUL")
        }
        storage.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &storage.sun_path) { target in
            target.copyBytes(from: bytes)
        }
    }

    func withSockaddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result {
        withUnsafePointer(to: storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Whether a process accepts connections at this address (a refused connect means a stale file).
    static func hasListener(_ address: UnixSocketAddress) -> Bool {
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return true }
        defer { close(fd) }
        return address.withSockaddr { Glibc.connect(fd, $0, $1) } == 0 || errno != ECONNREFUSED
    }
}
