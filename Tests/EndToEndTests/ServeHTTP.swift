import Glibc
import Testing

/// One plain HTTP/1.1 request to a local server over a blocking socket with 5 s timeouts; the status code and
/// the body (whatever follows the head).
func httpGet(port: UInt16, path: String, headers: [String] = []) throws -> (status: Int, body: String) {
    let fd = try connectLoopback(port: port)
    defer { close(fd) }
    let request = (["GET \(path) HTTP/1.1", "Host: 127.0.0.1:\(port)"] + headers + ["", ""]).joined(separator: "\r\n")
    let bytes = Array(request.utf8)
    try #require(write(fd, bytes, bytes.count) == bytes.count)
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = read(fd, &buffer, buffer.count)
        guard count > 0 else { break }
        response.append(contentsOf: buffer.prefix(count))
    }
    let text = String(decoding: response, as: UTF8.self)
    let statusText = text.split(separator: " ", maxSplits: 2).dropFirst().first ?? ""
    let body = text.firstRange(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (Int(statusText) ?? 0, body)
}

/// A blocking TCP connection to 127.0.0.1:`port` whose reads and writes give up after 5 s. With `bufferBytes`, its
/// send and receive buffers are that small (set before connecting, so that the window is too), which keeps what
/// the kernel holds for a flooding test client small.
func connectLoopback(port: UInt16, bufferBytes: Int32? = nil) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    if var size = bufferBytes {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else {
        close(fd)
        throw ToolProcessError(description: "cannot connect to 127.0.0.1:\(port)")
    }
    return fd
}

/// Writes a valid WebSocket upgrade request for `/` on `fd` (its 101 is left unread).
func sendUpgradeRequest(_ fd: Int32) throws {
    let request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    try #require(write(fd, request, request.utf8.count) == request.utf8.count)
}
