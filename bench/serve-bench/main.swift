import ConclavePOSIX
import ConclaveTransport

// Broker benchmark (not shipped; see bench/RESULTS.md and bench/run.sh), the same workloads for conclave-serve,
// mosquitto (MQTT 3.1.1) and nats-server (core NATS), one broker per invocation:
//   1. memory per idle connection: the broker's RSS before and after opening N connections;
//   2. one-to-one: sequential publish → delivery (+ ack) round trips, then pipelined throughput to one subscriber;
//   3. fan-out: one publisher, S subscribers, M messages of B bytes, pipelined; deliveries per second and per
//      second of the broker's CPU time.
//
// usage: serve-bench BROKER ADDRESS BROKER_PID [CONNECTIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]
//        serve-bench conclave-cluster URL,URL… PID,PID… [CONNECTIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]
//        serve-bench free-port
// BROKER is conclave or conclave-disk (ADDRESS a ws:// URL), mqtt0 or mqtt1 (publishes at QoS 0 or 1) or nats
// (ADDRESS host:port). conclave-cluster is a deployment of conclave-serve instances on one PostgreSQL database,
// one URL per instance: session I connects to the (I mod count)th URL, so the publisher to the first and the
// subscribers spread evenly; memory and CPU are summed over the PIDs.
// BENCH_WINDOW: messages in flight (default 256); BENCH_ONE_TO_ONE: messages of the one-to-one throughput run
// (default 50000); BENCH_ROUND_TRIPS: sequential round trips (default 5000); BENCH_STORE_PIDS: PostgreSQL's
// processes (comma-separated), whose CPU time during the throughput runs is printed beside the broker's.
import Glibc

struct Settings {
    var connections = 2_000
    var subscribers = 100
    var messages = 10_000
    var messageBytes = 100
    var window = 256
    var oneToOneMessages = 50_000
    var roundTrips = 5_000
}

func measure<B: Broker>(_ broker: B, server: ProcessProbe, store: ProcessProbe?, _ settings: Settings) throws {
    guard settings.connections > settings.subscribers, settings.subscribers >= 1 else {
        throw BenchError("CONNECTIONS must exceed SUBSCRIBERS, and SUBSCRIBERS be at least 1")
    }
    let name = broker.name
    let acknowledged = broker.acknowledgesPublishes

    let (links, idle) = try openIdleConnections(broker, count: settings.connections, server: server)
    print("\(name): \(idle.count) idle connections opened in \(decimal(idle.openingSeconds)) s; RSS "
        + "\(idle.residentBeforeKiB) → \(idle.residentAfterKiB) KiB: \(idle.bytesPerConnection) bytes each")

    let publisher = links[0]
    try broker.preparePublisher(publisher, payloadBytes: settings.messageBytes)
    try broker.subscribe([links[1]])
    let trips = try runRoundTrips(from: publisher, to: links[1], count: settings.roundTrips, acknowledged: acknowledged)
    let p50 = Double(trips[trips.count / 2]) / 1000, p99 = Double(trips[trips.count * 99 / 100]) / 1000
    print("\(name): \(trips.count) round trips: p50 \(Int(p50)) µs, p99 \(Int(p99)) µs")

    let single = try runFanOut(from: publisher, to: [links[1]], messages: settings.oneToOneMessages,
                               window: settings.window, acknowledged: acknowledged, server: server, store: store)
    let cpuPerMessage = single.serverCPUSeconds * 1e6 / Double(single.messages)
    print("\(name): one-to-one \(single.messages) × \(settings.messageBytes) B in \(decimal(single.seconds)) s: "
        + "\(Int(single.deliveriesPerSecond)) messages/s; broker CPU \(decimal(single.serverCPUSeconds)) s "
        + "(\(decimal(cpuPerMessage)) µs per message); client CPU \(decimal(single.clientCPUSeconds)) s"
        + storeCPU(single))

    try broker.subscribe(Array(links[1...settings.subscribers].dropFirst()))
    let fanOut = try runFanOut(from: publisher, to: Array(links[1...settings.subscribers]),
                               messages: settings.messages, window: settings.window, acknowledged: acknowledged,
                               server: server, store: store)
    print("\(name): fan-out \(fanOut.messages) × \(settings.messageBytes) B → \(fanOut.subscribers) subscribers in "
        + "\(decimal(fanOut.seconds)) s: \(Int(fanOut.deliveriesPerSecond)) deliveries/s; broker CPU "
        + "\(decimal(fanOut.serverCPUSeconds)) s (\(Int(fanOut.deliveriesPerCPUSecond)) deliveries per CPU second); "
        + "client CPU \(decimal(fanOut.clientCPUSeconds)) s" + storeCPU(fanOut))

    let peak = server.peakResidentKiB
    let cells = [
        name, grouped(idle.bytesPerConnection), "\(Int(p50)) / \(Int(p99))", grouped(Int(single.deliveriesPerSecond)),
        decimal(cpuPerMessage), grouped(Int(fanOut.deliveriesPerSecond)), decimal(fanOut.serverCPUSeconds),
        grouped(Int(fanOut.deliveriesPerCPUSecond)), decimal(fanOut.clientCPUSeconds), decimal(Double(peak) / 1024),
    ]
    print("| " + cells.joined(separator: " | ") + " |")
    for link in links { link.close() }
}

/// The store server's CPU time during `run`, for the log line: not a column, so that every row has the same ones.
func storeCPU(_ run: FanOut) -> String {
    guard let seconds = run.storeCPUSeconds else { return "" }
    return "; PostgreSQL CPU \(decimal(seconds)) s"
}

/// Two decimals, without Foundation's String(format:).
func decimal(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

/// Thousands separated by spaces: 180 000.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var groups: [Substring] = []
    var end = digits.endIndex
    while end > digits.startIndex {
        let start = digits.index(end, offsetBy: -3, limitedBy: digits.startIndex) ?? digits.startIndex
        groups.insert(digits[start..<end], at: 0)
        end = start
    }
    return (value < 0 ? "-" : "") + groups.joined(separator: " ")
}

/// A comma-separated list of process ids, or nil when it is empty or not all numbers.
func processIDs(_ text: String) -> [Int32]? {
    let fields = text.split(separator: ",", omittingEmptySubsequences: false)
    let pids = fields.compactMap { Int32($0) }
    return !pids.isEmpty && pids.count == fields.count ? pids : nil
}

func environmentNumber(_ name: String, _ fallback: Int) -> Int {
    guard let value = getenv(name) else { return fallback }
    return Int(String(cString: value)) ?? fallback
}

func run(_ arguments: [String]) throws {
    if arguments.count == 2 && arguments[1] == "free-port" {
        // The kernel picks a free loopback port; the broker binds it right after this socket closes.
        print(try ListeningSocket(binding: HostAndPort(host: "127.0.0.1", port: 0)).address.port)
        return
    }
    // One PID, or for conclave-cluster one per instance.
    guard arguments.count >= 4, let pids = processIDs(arguments[3]),
          pids.count == 1 || arguments[1] == "conclave-cluster"
    else {
        print("usage: serve-bench conclave|conclave-disk|mqtt0|mqtt1|nats ADDRESS BROKER_PID "
            + "[CONNECTIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]\n"
            + "       serve-bench conclave-cluster URL,URL… PID,PID… "
            + "[CONNECTIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]\n"
            + "       serve-bench free-port")
        exit(64)
    }
    func number(_ index: Int, _ fallback: Int) -> Int {
        arguments.count > index ? Int(arguments[index]) ?? fallback : fallback
    }
    let defaults = Settings()
    let settings = Settings(
        connections: number(4, defaults.connections), subscribers: number(5, defaults.subscribers),
        messages: number(6, defaults.messages), messageBytes: number(7, defaults.messageBytes),
        window: environmentNumber("BENCH_WINDOW", defaults.window),
        oneToOneMessages: environmentNumber("BENCH_ONE_TO_ONE", defaults.oneToOneMessages),
        roundTrips: max(1, environmentNumber("BENCH_ROUND_TRIPS", defaults.roundTrips)))
    let server = ProcessProbe(pids: pids)
    // BENCH_STORE_PIDS (run.sh sets it for conclave-cluster): PostgreSQL's processes, whose CPU time is reported
    // beside the broker's.
    let storePIDs = getenv("BENCH_STORE_PIDS").flatMap { processIDs(String(cString: $0)) }
    let store = storePIDs.map { ProcessProbe(pids: $0) }
    switch arguments[1] {
    case "conclave", "conclave-disk":
        let name = arguments[1] == "conclave" ? "conclave-serve (memory)" : "conclave-serve (WAL file)"
        try measure(ConclaveBroker(urls: [try WebSocketURL(parsing: arguments[2])], name: name), server: server,
                    store: store, settings)
    case "conclave-cluster":
        let urls = try arguments[2].split(separator: ",").map { try WebSocketURL(parsing: String($0)) }
        guard !urls.isEmpty else { throw BenchError("conclave-cluster needs at least one URL") }
        let name = "conclave-serve (PostgreSQL, \(urls.count) instance\(urls.count == 1 ? "" : "s"))"
        try measure(ConclaveBroker(urls: urls, name: name), server: server, store: store, settings)
    case "mqtt0", "mqtt1":
        let broker = MQTTBroker(endpoint: try HostAndPort(parsing: arguments[2]),
                                publishQoS: arguments[1] == "mqtt1" ? 1 : 0)
        try measure(broker, server: server, store: store, settings)
    case "nats":
        let broker = NATSBroker(endpoint: try HostAndPort(parsing: arguments[2]))
        try measure(broker, server: server, store: store, settings)
    default:
        throw BenchError(
            "unknown broker `\(arguments[1])`: conclave, conclave-disk, conclave-cluster, mqtt0, mqtt1 or nats")
    }
}

var limit = rlimit()
getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = limit.rlim_max
setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
BrokenPipe.ignore()
do {
    try run(CommandLine.arguments)
} catch {
    print("serve-bench: \(error)")
    exit(1)
}
