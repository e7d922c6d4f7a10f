#if canImport(Glibc)
internal import Glibc
#endif

/// The first thing a client tool does with its descriptors.
package enum StandardDescriptors {
    /// Puts `/dev/null` on a closed stdin, stdout or stderr before anything else opens a descriptor, so that the
    /// event loop or a socket never takes number 0, 1 or 2 and gets read from or written to as if it were one.
    /// stdout gets it read-only: a write then fails with `EBADF` as on a closed descriptor, which ends the tool
    /// quietly (TOOLS.md "Output").
    package static func reserve() {
        for (descriptor, flags) in [(Int32(0), O_RDONLY), (1, O_RDONLY), (2, O_WRONLY)]
        where fcntl(descriptor, F_GETFD) < 0 {
            let opened = open("/dev/null", flags)
            if opened >= 0 && opened != descriptor {
                dup2(opened, descriptor)
                close(opened)
            }
        }
    }
}
