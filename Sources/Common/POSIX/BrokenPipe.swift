#if canImport(Glibc)
internal import Glibc
#endif

/// SIGPIPE, set once per process by whoever owns the process (a tool's main, a test, the bench).
package enum BrokenPipe {
    /// Ignores SIGPIPE: a write to a closed pipe or peer then fails with EPIPE where it happens instead of killing
    /// the process. Sockets send with MSG_NOSIGNAL, but a closed stdout and OpenSSL's write(2) still raise it.
    package static func ignore() {
        signal(SIGPIPE, SIG_IGN)
    }
}
