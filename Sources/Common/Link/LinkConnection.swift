import ConclaveTransport
import ConclaveWire

/// One WebSocket connection of a link, registered on the event loop: reads every message that arrives and
/// hands it on, writes what is queued when the socket takes it, and reports the end of the connection once.
final class LinkConnection: EventLoopHandler {
    /// What the connection reports.
    enum Event {
        /// One binary message (text messages are ignored, PROTOCOL.md §2.2).
        case message([UInt8])
        /// The connection is over; the text says why.
        case ended(String)
    }

    let client: WebSocketClient
    private unowned let loop: EventLoop
    private let fileDescriptor: Int32
    private var onEvent: ((Event) -> Void)?
    private var isDraining = false

    init(client: WebSocketClient, loop: EventLoop) {
        self.client = client
        self.loop = loop
        fileDescriptor = client.fileDescriptor
    }

    /// Whether it still reports events (not ended, not closed by the link).
    var isOpen: Bool { onEvent != nil }

    /// Starts watching the socket. Messages that came with the upgrade response are read on the next turn.
    func attach(onEvent: @escaping (Event) -> Void) throws(TransportError) {
        self.onEvent = onEvent
        try loop.register(fileDescriptor, interest: client.pollInterest, handler: self)
        loop.runSoon { [weak self] in self?.drain() }
    }

    /// Writes one frame (or queues what the socket does not take now).
    func send(_ frame: ProtocolMessage) throws(TransportError) {
        try client.send(binary: frame.encoded())
        updateInterest()
    }

    /// Stops reporting and watching; sends a WebSocket close first when `politely`. The socket closes when
    /// the last reference to this connection goes.
    func close(politely: Bool) {
        guard onEvent != nil else { return }
        onEvent = nil
        if politely { try? client.close(code: .normalClosure) }
        loop.unregister(fileDescriptor)
    }

    /// Sends a WebSocket close and keeps reading until the server's close (or `ended`), for a polite end.
    func beginClose() {
        try? client.close(code: .normalClosure)
        updateInterest()
    }

    func handle(_ events: IOEvents, on loop: EventLoop) {
        if events.isWritable {
            do {
                try client.flush()
            } catch {
                end(error.message)
                return
            }
            updateInterest()
        }
        if events.isReadable { drain() }
    }

    private func drain() {
        guard !isDraining else { return }
        isDraining = true
        defer { isDraining = false }
        do {
            while let onEvent, let event = try client.nextEvent() {
                switch event {
                case .binary(let bytes): onEvent(.message(bytes))
                case .text, .pong: continue
                case .closed(let code, let reason):
                    let detail = code.map { " (close code \($0.rawValue)\(reason.isEmpty ? "" : ": \(reason)"))" } ?? ""
                    end("\(client.url) closed the connection\(detail)")
                case .failed(let error):
                    end("WebSocket protocol error from \(client.url): \(error)")
                }
            }
        } catch {
            end(error.message)
            return
        }
        guard isOpen else { return }
        if client.isClosed {
            end("\(client.url) closed the connection")
            return
        }
        updateInterest()
        // TLS may hold decrypted bytes that epoll cannot see.
        if client.hasBufferedInput { loop.runSoon { [weak self] in self?.drain() } }
    }

    private func updateInterest() {
        guard isOpen else { return }
        loop.setInterest(client.pollInterest, for: fileDescriptor)
    }

    private func end(_ reason: String) {
        guard let onEvent else { return }
        close(politely: false)
        onEvent(.ended(reason))
    }
}
