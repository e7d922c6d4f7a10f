internal import Glibc
import ConclavePOSIX

/// What a caller waits for on a file descriptor.
package struct IOInterest: OptionSet, Hashable, Sendable {
    package let rawValue: UInt8
    package init(rawValue: UInt8) { self.rawValue = rawValue }

    package static let readable = IOInterest(rawValue: 1)
    package static let writable = IOInterest(rawValue: 2)
}

/// The result of one non-blocking read or write.
package enum IOOutcome: Hashable, Sendable {
    /// This many bytes moved (more than zero).
    case transferred(Int)
    /// Nothing moved now; wait until the descriptor is ready for this, then retry.
    case wouldBlock(IOInterest)
    /// The peer closed its side (reads only).
    case endOfStream
}

/// A socket file descriptor owned by this object and closed when it goes away. Always non-blocking.
package final class Socket {
    /// The descriptor, for poll/epoll; -1 once closed. Do not close it yourself.
    package private(set) var fileDescriptor: Int32
    /// The peer or local address this socket was made for, for messages (`127.0.0.1:4390`).
    package let label: String

    init(adopting fileDescriptor: Int32, label: String) {
        self.fileDescriptor = fileDescriptor
        self.label = label
    }

    deinit { close() }

    /// Closes the descriptor now rather than when this object goes away (an owner may outlive the
    /// connection). Further reads and writes fail.
    package func close() {
        guard fileDescriptor >= 0 else { return }
        Glibc.close(fileDescriptor)
        fileDescriptor = -1
    }

    /// Opens a TCP connection to `endpoint`, trying each resolved address in turn until `deadline`.
    /// The socket is non-blocking with TCP_NODELAY set.
    package static func connect(to endpoint: HostAndPort, deadline: MonotonicInstant) throws(TransportError) -> Socket {
        let addresses = try SocketAddress.resolve(endpoint, passive: false)
        var lastError = TransportError(.connect, "cannot connect to \(endpoint): no address")
        for address in addresses {
            do {
                return try connect(to: address, endpoint: endpoint, deadline: deadline)
            } catch {
                if error.code == .timeout { throw error }
                lastError = error
            }
        }
        throw lastError
    }

    private static func connect(
        to address: SocketAddress, endpoint: HostAndPort, deadline: MonotonicInstant
    ) throws(TransportError) -> Socket {
        let (socket, isConnected) = try beginConnect(to: address, endpoint: endpoint)
        if !isConnected {
            guard try Poller.waitFor(socket.fileDescriptor, .writable, deadline: deadline) else {
                throw TransportError(.timeout, "timed out connecting to \(endpoint)")
            }
            if let failure = socket.connectFailure(endpoint: endpoint) { throw failure }
        }
        return socket
    }

    /// Starts a non-blocking TCP connect to one address, with TCP_NODELAY set. Unless already connected,
    /// wait for the descriptor to become writable, then ask `connectFailure`.
    static func beginConnect(
        to address: SocketAddress, endpoint: HostAndPort
    ) throws(TransportError) -> (socket: Socket, isConnected: Bool) {
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw TransportError(.connect, "cannot connect to \(endpoint): socket: \(TransportError.errnoText(errno))")
        }
        let socket = Socket(adopting: fd, label: endpoint.description)
        socket.setNoDelay()
        if address.withSockaddr({ Glibc.connect(fd, $0, $1) }) == 0 { return (socket, true) }
        // After EINTR the connect carries on asynchronously, like EINPROGRESS.
        guard errno == EINPROGRESS || errno == EINTR else {
            throw TransportError(.connect, "cannot connect to \(endpoint): \(TransportError.errnoText(errno))")
        }
        return (socket, false)
    }

    /// Once a connecting socket is writable: nil if the connection is established, else why it failed.
    func connectFailure(endpoint: HostAndPort) -> TransportError? {
        var failure: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        if getsockopt(fileDescriptor, SOL_SOCKET, SO_ERROR, &failure, &length) != 0 { failure = errno }
        guard failure != 0 else { return nil }
        return TransportError(.connect, "cannot connect to \(endpoint): \(TransportError.errnoText(failure))")
    }

    /// Disables Nagle's algorithm: frames are small and latency matters more than packet count.
    func setNoDelay() {
        var one: Int32 = 1
        setsockopt(fileDescriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Reads what is available into `buffer`.
    package func receive(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOOutcome {
        while true {
            let count = recv(fileDescriptor, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .transferred(count) }
            if count == 0 { return buffer.isEmpty ? .transferred(0) : .endOfStream }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock(.readable)
            case ECONNRESET: throw TransportError(.closed, "connection to \(label) reset by peer")
            case let failure:
                throw TransportError(.io, "read from \(label) failed: \(TransportError.errnoText(failure))")
            }
        }
    }

    /// Writes as much of `bytes` as the kernel takes now.
    package func send(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOOutcome {
        if bytes.isEmpty { return .transferred(0) }
        while true {
            let count = Glibc.send(fileDescriptor, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
            if count >= 0 { return .transferred(count) }
            if let outcome = try outcome(ofSendFailure: errno) { return outcome }
        }
    }

    /// What a failed send's `errno` means: nil to try again (interrupted), else waiting or an error.
    private func outcome(ofSendFailure failure: Int32) throws(TransportError) -> IOOutcome? {
        switch failure {
        case EINTR: return nil
        case EAGAIN, EWOULDBLOCK: return .wouldBlock(.writable)
        case EPIPE, ECONNRESET: throw TransportError(.closed, "connection to \(label) closed by peer")
        default: throw TransportError(.io, "write to \(label) failed: \(TransportError.errnoText(failure))")
        }
    }

    /// Writes as much of the buffers in `vectors` as the kernel takes now, in order (writev).
    func send(vectors: [iovec]) throws(TransportError) -> IOOutcome {
        var message = msghdr()
        while true {
            let count = vectors.withUnsafeBufferPointer { buffer in
                message.msg_iov = UnsafeMutablePointer(mutating: buffer.baseAddress)
                message.msg_iovlen = buffer.count
                return sendmsg(fileDescriptor, &message, Int32(MSG_NOSIGNAL))
            }
            if count >= 0 { return .transferred(count) }
            if let outcome = try outcome(ofSendFailure: errno) { return outcome }
        }
    }

    /// Stops further sends (the peer reads end of stream); reads stay possible.
    package func shutdownOutput() {
        Glibc.shutdown(fileDescriptor, Int32(SHUT_WR))
    }
}

/// A socket bound to a local address and listening for TCP connections; accepts without blocking.
package final class ListeningSocket {
    package let socket: Socket
    /// The address actually bound (the port the kernel chose when 0 was asked).
    package let address: HostAndPort

    package var fileDescriptor: Int32 { socket.fileDescriptor }

    /// Binds and listens on `endpoint` (`127.0.0.1:4390`, `[::1]:0`, `0.0.0.0:4390`), with SO_REUSEADDR.
    package init(binding endpoint: HostAndPort, backlog: Int32 = 1024) throws(TransportError) {
        let addresses: [SocketAddress]
        do {
            addresses = try SocketAddress.resolve(endpoint, passive: true)
        } catch {
            throw TransportError(.listen, error.message)
        }
        guard let address = addresses.first else {
            throw TransportError(.listen, "cannot listen on \(endpoint): no address")
        }
        let fd = Glibc.socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
            | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            throw TransportError(.listen, "cannot listen on \(endpoint): \(TransportError.errnoText(errno))")
        }
        let socket = Socket(adopting: fd, label: endpoint.description)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if address.family == AF_INET6 {
            // "[::]:port" then serves IPv6 only, as written; IPv4 needs its own address.
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        guard address.withSockaddr({ Glibc.bind(fd, $0, $1) }) == 0 else {
            throw TransportError(.listen, "cannot bind \(endpoint): \(TransportError.errnoText(errno))")
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            throw TransportError(.listen, "cannot listen on \(endpoint): \(TransportError.errnoText(errno))")
        }
        self.socket = socket
        self.address = HostAndPort(host: endpoint.host, port: SocketAddress.localPort(of: fd) ?? endpoint.port)
    }

    /// The next pending connection (non-blocking, TCP_NODELAY), or nil when none is waiting. Errors that
    /// concern only the one connection (it was reset before we took it) also give nil.
    package func accept() throws(TransportError) -> Socket? {
        try socket.acceptConnection(listening: address.description) { storage, length in
            SocketAddress(storage: storage, length: length).numericDescription
        }
    }
}

extension Socket {
    /// Accepts one pending connection on this listening socket, non-blocking and close-on-exec.
    func acceptConnection(
        listening: String, peerLabel: (sockaddr_storage, socklen_t) -> String
    ) throws(TransportError) -> Socket? {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    Glibc.accept(fileDescriptor, $0, &length)
                }
            }
            if fd >= 0 {
                // accept4 is hidden behind _GNU_SOURCE; the two fcntl calls do the same.
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                let accepted = Socket(adopting: fd, label: peerLabel(storage, length))
                accepted.setNoDelay()
                return accepted
            }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK, ECONNABORTED, EPROTO: return nil
            case let failure:
                throw TransportError(.io, "accept on \(listening) failed: \(TransportError.errnoText(failure))")
            }
        }
    }
}
