internal import Glibc

/// Wakes a thread that waits in poll(2) or an event loop: one side writes a byte, the other sees its read end
/// readable. Both ends are non-blocking and close-on-exec, so a full pipe (the waiter has not drained it yet,
/// and is awake anyway) never blocks the writer, and no child inherits them.
package final class WakeupPipe: Sendable {
    /// Poll this for readability; ``drain()`` it before looking at what the wake-up is about.
    package let readDescriptor: Int32
    private let writeDescriptor: Int32

    package init() throws(SystemCallError) {
        var descriptors: [Int32] = [-1, -1]
        guard pipe(&descriptors) == 0 else { throw SystemCallError("pipe", path: "") }
        for descriptor in descriptors {
            _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
        }
        readDescriptor = descriptors[0]
        writeDescriptor = descriptors[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    /// Makes the read end readable.
    package func wake() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// Reads every pending wake-up, so that the read end is quiet until the next ``wake()``.
    package func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &buffer, buffer.count) > 0 {}
    }
}
