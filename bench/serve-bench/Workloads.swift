import Glibc
import ConclavePOSIX
import ConclaveTransport

func seconds(since start: MonotonicInstant) -> Double {
    Double(MonotonicInstant.now().nanoseconds - start.nanoseconds) / 1e9
}

/// The broker's RSS with one connection open and with `count`, and how long opening the rest took.
struct IdleMemory {
    var count: Int
    var openingSeconds: Double
    var residentBeforeKiB: Int
    var residentAfterKiB: Int

    var bytesPerConnection: Int {
        (residentAfterKiB - residentBeforeKiB) * 1024 / max(1, count - 1)
    }
}

/// Opens `count` idle connections one after another, each confirmed by the broker before the next.
func openIdleConnections<B: Broker>(_ broker: B, count: Int, server: ProcessProbe) throws -> ([B.Link], IdleMemory) {
    var links = [try broker.connect(index: 0)]
    usleep(200_000)
    let before = server.residentKiB
    let opening = MonotonicInstant.now()
    for index in 1..<max(1, count) {
        links.append(try broker.connect(index: index))
    }
    let openingSeconds = seconds(since: opening)
    // Let a garbage-collected broker settle before reading its RSS.
    usleep(500_000)
    return (links, IdleMemory(count: count, openingSeconds: openingSeconds, residentBeforeKiB: before,
                              residentAfterKiB: server.residentKiB))
}

/// One fan-out run: how long until every subscriber had every message, and the broker's CPU time meanwhile. In a
/// deployment of several instances, subscribers on another instance than the publisher's get each post a little
/// later (it goes through the database first); the clock runs until the last of them has the last message.
struct FanOut {
    var messages: Int
    var subscribers: Int
    var seconds: Double
    var serverCPUSeconds: Double
    var clientCPUSeconds: Double
    /// The CPU time of the store's own server (PostgreSQL), when the broker has one and its processes were given.
    var storeCPUSeconds: Double?

    var deliveries: Double { Double(messages * subscribers) }
    var deliveriesPerSecond: Double { deliveries / seconds }
    var deliveriesPerCPUSecond: Double { deliveries / max(0.01, serverCPUSeconds) }
}

/// Publishes `messages` from `publisher`, pipelined: at most `window` messages ahead of the slowest subscriber
/// and, when the broker acknowledges publishes, at most `window` unacknowledged. Gives up when nothing
/// arrives for 10 s (a broker that dropped messages) or after 120 s.
func runFanOut<L: BrokerLink>(
    from publisher: L, to subscribers: [L], messages: Int, window: Int, acknowledged: Bool, server: ProcessProbe,
    store: ProcessProbe? = nil
) throws -> FanOut {
    var received = [Int](repeating: 0, count: subscribers.count)
    var remaining = subscribers.count
    var sent = 0, acks = 0, slowest = 0, total = 0
    let everyone = [publisher] + subscribers
    var entries = everyone.map { Poller.Entry(fileDescriptor: $0.fileDescriptor, interest: .readable) }
    let start = MonotonicInstant.now()
    let cpuBefore = server.cpuSeconds, clientCPUBefore = ProcessProbe.ownCPUSeconds
    let storeCPUBefore = store?.cpuSeconds ?? 0
    let deadline = MonotonicInstant.after(milliseconds: 120_000)
    var lastProgress = start
    while remaining > 0 || (acknowledged && acks < messages) {
        while sent < messages && sent - slowest < window && (!acknowledged || sent - acks < window) {
            try publisher.publish()
            sent += 1
        }
        for index in everyone.indices { entries[index].interest = everyone[index].pollInterest }
        if !everyone.contains(where: { $0.hasBufferedInput }) {
            _ = try Poller.wait(&entries, timeoutMilliseconds: 1_000)
        }
        let before = total
        if entries[0].ready.contains(.writable) { try publisher.flush() }
        if entries[0].ready.contains(.readable) || publisher.hasBufferedInput {
            let arrivals = try publisher.receiveAvailable()
            acks += arrivals.acks
            total += arrivals.acks
        }
        var lowest = Int.max
        for (index, subscriber) in subscribers.enumerated() {
            let entry = entries[index + 1]
            if entry.ready.contains(.writable) { try subscriber.flush() }
            if entry.ready.contains(.readable) || subscriber.hasBufferedInput {
                let count = try subscriber.receiveAvailable().deliveries
                if count > 0 {
                    received[index] += count
                    total += count
                    // Deliveries are counted, not told apart: one more than was published means a message came
                    // twice (one instance of a deployment delivering a post both live and on catching up), which
                    // could otherwise stand in for one that never came.
                    guard received[index] <= messages else {
                        throw BenchError("subscriber \(index + 1) got \(received[index]) deliveries of \(messages) "
                            + "messages: a message came twice")
                    }
                    if received[index] == messages { remaining -= 1 }
                }
            }
            lowest = min(lowest, received[index])
        }
        slowest = lowest
        if total > before {
            lastProgress = .now()
        } else if MonotonicInstant.now().nanoseconds - lastProgress.nanoseconds > 10_000_000_000 {
            throw BenchError("fan-out stalled for 10 s: \(received.reduce(0, +)) of \(messages * subscribers.count) "
                + "deliveries, \(acks) acks (did the broker drop messages?)")
        }
        guard !deadline.hasPassed else { throw BenchError("fan-out did not finish in 120 s") }
    }
    let elapsed = seconds(since: start)
    return FanOut(messages: messages, subscribers: subscribers.count, seconds: elapsed,
                  serverCPUSeconds: server.cpuSeconds - cpuBefore,
                  clientCPUSeconds: ProcessProbe.ownCPUSeconds - clientCPUBefore,
                  storeCPUSeconds: store.map { $0.cpuSeconds - storeCPUBefore })
}

/// `count` sequential round trips: publish one message, wait until `subscriber` has it (and, when the broker
/// acknowledges publishes, until the publisher has the ack). Returns each round trip in nanoseconds, sorted.
func runRoundTrips<L: BrokerLink>(
    from publisher: L, to subscriber: L, count: Int, acknowledged: Bool
) throws -> [UInt64] {
    var samples: [UInt64] = []
    samples.reserveCapacity(count)
    for _ in 0..<count {
        let start = MonotonicInstant.now()
        let deadline = start.advanced(byMilliseconds: 10_000)
        try publisher.publish()
        try publisher.flush()
        var delivered = false, acked = !acknowledged
        while !(delivered && acked) {
            var entries = [publisher, subscriber].map {
                Poller.Entry(fileDescriptor: $0.fileDescriptor, interest: $0.pollInterest)
            }
            if !publisher.hasBufferedInput && !subscriber.hasBufferedInput {
                _ = try Poller.wait(&entries, timeoutMilliseconds: 1_000)
            }
            if entries[0].ready.contains(.writable) { try publisher.flush() }
            if entries[1].ready.contains(.writable) { try subscriber.flush() }
            if entries[0].ready.contains(.readable) || publisher.hasBufferedInput {
                if try publisher.receiveAvailable().acks > 0 { acked = true }
            }
            if entries[1].ready.contains(.readable) || subscriber.hasBufferedInput {
                if try subscriber.receiveAvailable().deliveries > 0 { delivered = true }
            }
            guard !deadline.hasPassed else { throw BenchError("a round trip took more than 10 s") }
        }
        samples.append(MonotonicInstant.now().nanoseconds - start.nanoseconds)
    }
    return samples.sorted()
}
