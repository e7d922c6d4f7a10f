internal import Glibc

/// A thread of the process's own (a pthread) running one body to its end.
///
/// It starts with every signal blocked, so that none is delivered to it: the tools take SIGINT and SIGTERM through
/// a signalfd, which sees only signals blocked in every thread.
package final class BackgroundThread {
    private var thread = pthread_t()
    private var isJoined = false

    /// Starts `body` on a new thread.
    package init(_ body: @escaping @Sendable () -> Void) throws(SystemCallError) {
        let context = Unmanaged.passRetained(Body(body)).toOpaque()
        var all = sigset_t()
        var previous = sigset_t()
        sigfillset(&all)
        pthread_sigmask(SIG_SETMASK, &all, &previous)
        let status = pthread_create(&thread, nil, { context in
            Unmanaged<Body>.fromOpaque(context!).takeRetainedValue().run()
            return nil
        }, context)
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        guard status == 0 else {
            Unmanaged<Body>.fromOpaque(context).release()
            throw SystemCallError("pthread_create", path: "", errorNumber: status)
        }
    }

    /// Waits for the body to return; the caller must have asked it to.
    package func join() {
        guard !isJoined else { return }
        isJoined = true
        pthread_join(thread, nil)
    }

    /// Not joined: the thread goes on with what its body holds (its closure keeps that alive) and its resources
    /// are freed when it ends. An owner that must outlast it joins first.
    deinit {
        if !isJoined { pthread_detach(thread) }
    }

    private final class Body: Sendable {
        let run: @Sendable () -> Void

        init(_ run: @escaping @Sendable () -> Void) { self.run = run }
    }
}
