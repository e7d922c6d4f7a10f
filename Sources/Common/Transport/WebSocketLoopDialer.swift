import ConclavePOSIX
import ConclaveWire

/// Runs a `WebSocketDialer` on an `EventLoop`: its descriptor is watched for what it waits for, its deadline is
/// a loop timer, and the result arrives through a completion on the loop. The loop keeps serving its other
/// descriptors and timers during the dial (name resolution excepted: `WebSocketDialer.init` resolves the host
/// and blocks meanwhile; IP literals and `/etc/hosts` names answer at once).
///
/// ```
/// let dialer = WebSocketLoopDialer(url: url, loop: loop, timeoutMilliseconds: 10_000) { result in
///     switch result { case .success(let client): … case .failure(let error): … }
/// }
/// dialer.start()
/// ```
package final class WebSocketLoopDialer {
    package let url: WebSocketURL
    private let tls: TLSClientContext?
    private unowned let loop: EventLoop
    private let timeoutMilliseconds: Int
    private let maximumMessageSize: Int
    private var completion: ((Result<WebSocketClient, TransportError>) -> Void)?
    private var dialer: WebSocketDialer?
    private var deadlineTimer: EventLoop.TimerID?
    private var watchedDescriptor: Int32 = -1

    /// - Parameters:
    ///   - tls: the client TLS settings for `wss://`; made on demand when nil. Unused for `ws://`.
    ///   - timeoutMilliseconds: the bound on the whole dial (connect, TLS, upgrade).
    ///   - completion: called once on the loop's thread, never from `start()` itself.
    package init(
        url: WebSocketURL, tls: TLSClientContext? = nil, loop: EventLoop, timeoutMilliseconds: Int,
        maximumMessageSize: Int = WebSocketConnection.defaultMaximumMessageSize,
        completion: @escaping (Result<WebSocketClient, TransportError>) -> Void
    ) {
        self.url = url
        self.tls = tls
        self.loop = loop
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maximumMessageSize = maximumMessageSize
        self.completion = completion
    }

    /// Starts dialling; the result arrives through `completion`.
    package func start() {
        guard dialer == nil, completion != nil else { return }
        let deadline = MonotonicInstant.after(milliseconds: timeoutMilliseconds)
        do {
            dialer = try WebSocketDialer(
                url: url, tls: tls, deadline: deadline, maximumMessageSize: maximumMessageSize)
        } catch {
            // The completion must not run inside start(): the caller may still be setting up.
            loop.runSoon { [weak self] in self?.finish(.failure(error)) }
            return
        }
        deadlineTimer = loop.schedule(at: deadline) { [weak self] in
            self?.deadlineTimer = nil
            self?.advance()
        }
        loop.runSoon { [weak self] in self?.advance() }
    }

    /// Abandons the dial: closes what was opened; `completion` is not called.
    package func cancel() {
        completion = nil
        finish(nil)
    }

    fileprivate func advance() {
        guard let dialer else { return }
        // Before the dialer may close a socket whose number the kernel could give to the next one.
        unwatch()
        do {
            if let client = try dialer.advance() {
                finish(.success(client))
                return
            }
            try loop.register(dialer.fileDescriptor, interest: dialer.pollInterest, handler: ReadinessRelay(self))
            watchedDescriptor = dialer.fileDescriptor
        } catch {
            finish(.failure(error))
        }
    }

    private func unwatch() {
        guard watchedDescriptor >= 0 else { return }
        loop.unregister(watchedDescriptor)
        watchedDescriptor = -1
    }

    /// Ends the dial once; what was opened and not handed over closes with the dialer.
    private func finish(_ result: Result<WebSocketClient, TransportError>?) {
        if let deadlineTimer { loop.cancel(deadlineTimer) }
        deadlineTimer = nil
        unwatch()
        dialer = nil
        guard let result, let completion else { return }
        self.completion = nil
        completion(result)
    }
}

/// The loop's handler for the dial's descriptor; weak, so an abandoned dial can go away.
private final class ReadinessRelay: EventLoopHandler {
    private weak var dialer: WebSocketLoopDialer?

    init(_ dialer: WebSocketLoopDialer) { self.dialer = dialer }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        dialer?.advance()
    }
}
