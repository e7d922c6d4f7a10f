#if canImport(Glibc)
internal import Glibc
#endif

/// Writes every byte of `bytes` to `fileDescriptor`, retrying after signals and short writes. A descriptor that
/// is non-blocking (stdout may be a pipe another process made non-blocking) is waited on until it drains, so
/// callers see only real failures.
package func writeAll(_ bytes: UnsafeRawBufferPointer, to fileDescriptor: Int32) throws(Errno) {
    var offset = 0
    while offset < bytes.count {
        let count = write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
        if count >= 0 {
            offset += count
            continue
        }
        switch errno {
        case EINTR:
            continue
        case EAGAIN:
            var waiting = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
            _ = poll(&waiting, 1, -1)
        default:
            throw .current
        }
    }
}

/// `writeAll` for an array of bytes.
package func writeAll(_ bytes: [UInt8], to fileDescriptor: Int32) throws(Errno) {
    let outcome = bytes.withUnsafeBytes { buffer in
        Result { () throws(Errno) in try writeAll(buffer, to: fileDescriptor) }
    }
    try outcome.get()
}
