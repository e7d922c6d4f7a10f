import ConclavePOSIX
import ConclaveTransport

/// What one read turn on a link brought.
struct Arrivals {
    /// Messages published to the fan-out topic by another link.
    var deliveries = 0
    /// The broker's confirmations of this link's own publishes (conclave's ack, MQTT's PUBACK).
    var acks = 0
    /// Replies to set-up requests (CONNACK, SUBACK, NATS PONG, conclave's joined/established).
    var replies = 0
}

/// One client connection to the broker under test, driven by a single-threaded poll loop.
protocol BrokerLink: AnyObject {
    var fileDescriptor: Int32 { get }
    /// Readable always, writable while output waits.
    var pollInterest: IOInterest { get }
    /// Whether `receiveAvailable` may have something without a poll.
    var hasBufferedInput: Bool { get }
    func flush() throws
    /// Queues one message to the fan-out topic (the publication `Broker.preparePublisher` built).
    func publish() throws
    /// Takes everything readable now and answers what the protocol requires (PUBACK, PONG).
    func receiveAvailable() throws -> Arrivals
    func close()
}

/// A broker under test: how to open idle connections and how to set up the fan-out topic.
protocol Broker {
    associatedtype Link: BrokerLink
    /// The row label, e.g. `mosquitto QoS 1`.
    var name: String { get }
    /// Whether each publish is confirmed by the broker, so that the publisher can count acks.
    var acknowledgesPublishes: Bool { get }
    /// Opens connection `index`, ready and idle: an authenticated session, or a connected client with a
    /// subscription of its own (`idle/INDEX`), confirmed by the broker.
    func connect(index: Int) throws -> Link
    /// Makes `link` the fan-out publisher of `payloadBytes`-byte messages.
    func preparePublisher(_ link: Link, payloadBytes: Int) throws
    /// Subscribes `links` to the fan-out topic and waits until the broker confirmed every one.
    func subscribe(_ links: [Link]) throws
}

/// Reads from `link` until it has brought `count` replies, or throws after 10 s.
func awaitReplies(_ count: Int, on link: some BrokerLink, step: String) throws {
    let deadline = MonotonicInstant.after(milliseconds: 10_000)
    var replies = 0
    while replies < count {
        try link.flush()
        if !link.hasBufferedInput {
            var entries = [Poller.Entry(fileDescriptor: link.fileDescriptor, interest: link.pollInterest)]
            _ = try Poller.wait(&entries, timeoutMilliseconds: max(1, deadline.millisecondsFromNow))
        }
        replies += try link.receiveAvailable().replies
        if replies < count && deadline.hasPassed { throw BenchError("no reply to \(step) within 10 s") }
    }
}
