#if canImport(Glibc)
internal import Glibc
#endif

/// A Unix stream socket listening at a path with mode 0600 (TOOLS.md "--socket"). A socket file left by a
/// process that died is replaced; one that something still listens on is not. The file is removed on close.
final class UnixListener {
    let socket: Socket
    let path: String

    var fileDescriptor: Int32 { socket.fileDescriptor }

    init(path: String) throws(ConnectError) {
        var address = try Self.address(path)
        try Self.removeStaleSocket(at: path, address: &address)
        let fd = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .systemCall(.socket, "cannot create a socket for \(path)") }
        socket = Socket(adopting: fd, label: path)
        self.path = path
        // The mode of the socket file comes from the umask at bind time; 0177 makes it 0600 from the start.
        let previousMask = umask(0o177)
        let bound = Self.withSockaddr(&address) { Glibc.bind(fd, $0, $1) }
        let bindError = errno
        umask(previousMask)
        guard bound == 0 else { throw .systemCall(.socket, "cannot bind \(path)", errorNumber: bindError) }
        guard Glibc.listen(fd, 64) == 0 else {
            let listenError = errno
            unlink(path)
            throw .systemCall(.socket, "cannot listen on \(path)", errorNumber: listenError)
        }
    }

    /// Stops listening and removes the socket file.
    func close() {
        guard socket.fileDescriptor >= 0 else { return }
        socket.close()
        unlink(path)
    }

    /// The next waiting client, non-blocking; nil when none is waiting.
    func accept() -> Socket? {
        while true {
            let fd = Glibc.accept(socket.fileDescriptor, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                return Socket(adopting: fd, label: path)
            }
            if errno == EINTR { continue }
            return nil
        }
    }

    private static func address(_ path: String) throws(ConnectError) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity, !bytes.contains(0) else {
            throw ConnectError(.usage, "--socket path must be 1 to \(capacity - 1) bytes long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { target in
            target.copyBytes(from: bytes)
        }
        return address
    }

    private static func withSockaddr<Result>(
        _ address: inout sockaddr_un, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Result
    ) -> Result {
        withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
    }

    /// Removes a socket file nobody listens on; refuses a live one and anything that is not a socket.
    private static func removeStaleSocket(at path: String, address: inout sockaddr_un) throws(ConnectError) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ConnectError(.socket, "\(path) exists and is not a socket; not replacing it")
        }
        let probe = Glibc.socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard probe >= 0 else { throw .systemCall(.socket, "cannot create a socket for \(path)") }
        defer { Glibc.close(probe) }
        if withSockaddr(&address, { Glibc.connect(probe, $0, $1) }) == 0 {
            throw ConnectError(.socket, "another process is listening on \(path)")
        }
        guard errno == ECONNREFUSED else {
            throw .systemCall(.socket, "cannot check whether \(path) is in use")
        }
        guard unlink(path) == 0 || errno == ENOENT else { throw .systemCall(.socket, "cannot remove stale \(path)") }
    }
}
