internal import Glibc
import Synchronization

/// Resolves a host name on a thread of its own, so that a slow or unreachable DNS server cannot stall an
/// `EventLoop`: getaddrinfo has no non-blocking form. The thread hands its result over through a `Mutex` and
/// wakes the loop with one byte on a socket pair. A cancelled resolution lets the thread finish on its own;
/// its result is dropped.
final class BackgroundResolver: EventLoopHandler {
    private let job: ResolutionJob
    private let wakeReader: Socket
    private unowned let loop: EventLoop
    private var completion: ((Result<[SocketAddress], TransportError>) -> Void)?

    /// Starts resolving `endpoint`; `completion` runs once on the loop, unless cancelled.
    init(
        _ endpoint: HostAndPort, loop: EventLoop,
        completion: @escaping (Result<[SocketAddress], TransportError>) -> Void
    ) throws(TransportError) {
        var ends: [Int32] = [-1, -1]
        let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        guard socketpair(AF_UNIX, type, 0, &ends) == 0 else {
            throw TransportError(
                .resolve, "cannot resolve \(endpoint.host): socketpair: \(TransportError.errnoText(errno))")
        }
        wakeReader = Socket(adopting: ends[0], label: "resolver")
        job = ResolutionJob(endpoint: endpoint, wakeWriter: ends[1])
        self.loop = loop
        self.completion = completion
        do {
            try loop.register(wakeReader.fileDescriptor, interest: .readable, handler: self)
        } catch {
            close(ends[1])
            throw error
        }
        var thread = pthread_t()
        let retained = Unmanaged.passRetained(job).toOpaque()
        let status = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            Unmanaged<ResolutionJob>.fromOpaque(argument).takeRetainedValue().run()
            return nil
        }, retained)
        guard status == 0 else {
            Unmanaged<ResolutionJob>.fromOpaque(retained).release()
            close(ends[1])
            loop.unregister(wakeReader.fileDescriptor)
            throw TransportError(
                .resolve, "cannot resolve \(endpoint.host): no thread: \(TransportError.errnoText(status))")
        }
        pthread_detach(thread)
    }

    /// Drops the result; `completion` is not called.
    func cancel() {
        completion = nil
        loop.unregister(wakeReader.fileDescriptor)
        wakeReader.close()
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        guard let result = job.takeResult() else { return }
        let completion = self.completion
        cancel()
        completion?(result)
    }
}

/// What the resolver thread owns: the question, the answer once there, and its end of the wake-up pair.
private final class ResolutionJob: Sendable {
    let endpoint: HostAndPort
    private let wakeWriter: Int32
    private let result = Mutex<Result<[SocketAddress], TransportError>?>(nil)

    init(endpoint: HostAndPort, wakeWriter: Int32) {
        self.endpoint = endpoint
        self.wakeWriter = wakeWriter
    }

    /// On the resolver thread: resolve, publish, wake the loop (MSG_NOSIGNAL: the loop may have gone).
    func run() {
        let answer = Result { () throws(TransportError) in try SocketAddress.resolve(endpoint, passive: false) }
        result.withLock { $0 = answer }
        var byte: UInt8 = 1
        _ = send(wakeWriter, &byte, 1, Int32(MSG_NOSIGNAL))
        close(wakeWriter)
    }

    /// On the loop: the answer, once published.
    func takeResult() -> Result<[SocketAddress], TransportError>? {
        result.withLock { $0 }
    }
}
