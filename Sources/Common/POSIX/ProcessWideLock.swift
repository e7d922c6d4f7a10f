internal import Glibc

/// A value shared by the threads of a process, behind a `pthread_mutex_t`.
///
/// The standard library's `Mutex` would do, but on Linux it locks with atomics and futexes inside code that
/// ThreadSanitizer does not instrument, so `make sanitize-thread` reports the accesses it protects as races; the
/// interceptors of `pthread_mutex_lock` make this one visible to it.
package final class ProcessWideLock<Value>: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var value: Value

    package init(_ value: Value) {
        self.value = value
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    package func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
