// conclave-serve benchmark (not shipped; see bench/RESULTS.md and bench/run.sh):
//   1. memory per idle authenticated session: the server's RSS before and after opening N sessions;
//   2. fan-out throughput: one publisher posts M messages to a channel with S subscribers, pipelined; the time
//      until every subscriber has every message gives deliveries per second.
//
// usage: serve-bench URL SERVER_PID [SESSIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]
// BENCH_WINDOW=N: how many posts may wait for their ack (default 256).
import CSodium
import Common
import Glibc

struct BenchError: Error, CustomStringConvertible {
    var description: String
}

/// One key pair for every session: sessions differ by handle, so none supersedes another.
final class BenchIdentity {
    let publicKey: [UInt8]
    private var secretKey: [UInt8]

    init() {
        var seed = [UInt8](repeating: 0, count: 32)
        randombytes_buf(&seed, seed.count)
        var publicKey = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var secretKey = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&publicKey, &secretKey, seed)
        sodium_memzero(&seed, seed.count)
        self.publicKey = publicKey
        self.secretKey = secretKey
    }

    deinit { sodium_memzero(&secretKey, secretKey.count) }

    func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        crypto_sign_detached(&signature, nil, message, UInt64(message.count), secretKey)
        return signature
    }
}

func send(_ client: WebSocketClient, _ frame: ProtocolMessage) throws {
    try client.send(binary: frame.encoded())
}

func receive(_ client: WebSocketClient) throws -> ProtocolMessage {
    while true {
        guard let event = try client.nextEvent(deadline: .after(milliseconds: 10_000)) else {
            throw BenchError(description: "the server closed a connection")
        }
        if case .binary(let bytes) = event { return try ProtocolMessage(decoding: bytes) }
    }
}

/// An authenticated session with handle `handle`; registers the user on the first call.
func session(
    _ url: WebSocketURL, _ identity: BenchIdentity, handle: String, register: Bool
) throws -> WebSocketClient {
    let client = try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 10_000))
    try send(client, .hello(protocolVersion: 1, session: handle))
    guard case let .challenge(nonce) = try receive(client) else { throw BenchError(description: "no challenge") }
    if register { try send(client, .register(username: "bench", machine: "m", pubkey: identity.publicKey)) }
    try send(client, .auth(pubkey: identity.publicKey, signature: identity.sign(nonce)))
    guard case .established = try receive(client), case .serverInfo = try receive(client) else {
        throw BenchError(description: "handshake refused for \(handle)")
    }
    return client
}

func residentKiB(of pid: String) -> Int {
    let fd = open("/proc/\(pid)/status", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 8192)
    let count = read(fd, &buffer, buffer.count)
    let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// The process's user + system CPU time in seconds (/proc/PID/stat fields 14 and 15).
func cpuSeconds(of pid: String) -> Double {
    let fd = open("/proc/\(pid)/stat", O_RDONLY)
    guard fd >= 0 else { return 0 }
    defer { close(fd) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let count = read(fd, &buffer, buffer.count)
    let text = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    // Fields after the parenthesised command name, which may itself hold spaces.
    guard let close = text.lastIndex(of: ")") else { return 0 }
    let fields = text[text.index(after: close)...].split(separator: " ")
    guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func seconds(since start: MonotonicInstant) -> Double {
    Double(MonotonicInstant.now().nanoseconds - start.nanoseconds) / 1e9
}

func run(arguments: [String]) throws {
    let url = try WebSocketURL(parsing: arguments[1])
    let serverPID = arguments[2]
    func number(_ index: Int, _ fallback: Int) -> Int {
        arguments.count > index ? Int(arguments[index]) ?? fallback : fallback
    }
    let sessionCount = number(3, 2_000), subscriberCount = number(4, 100)
    let messageCount = number(5, 10_000), messageBytes = number(6, 100)
    let identity = BenchIdentity()

    // 1. Memory per idle authenticated session.
    let first = try session(url, identity, handle: "s0", register: true)
    var sessions = [first]
    usleep(200_000)
    let before = residentKiB(of: serverPID)
    let opening = MonotonicInstant.now()
    for index in 1..<max(1, sessionCount) {
        sessions.append(try session(url, identity, handle: "s\(index)", register: false))
    }
    let openSeconds = seconds(since: opening)
    usleep(500_000)
    let after = residentKiB(of: serverPID)
    let perSession = Double(after - before) * 1024 / Double(max(1, sessionCount - 1))
    print("sessions: \(sessionCount) authenticated in \(format2(openSeconds)) s; server RSS \(before) KiB → "
        + "\(after) KiB; \(Int(perSession)) bytes per idle session")

    // 2. Fan-out: sessions[0] publishes, sessions[1...subscriberCount] subscribe.
    try send(first, .admin(.createChannel(name: "bench", visibility: .public)))
    _ = try receive(first)
    let subscribers = Array(sessions.dropFirst().prefix(subscriberCount))
    for client in subscribers + [first] {
        try send(client, .join(channel: "bench", token: nil))
        guard case .joined = try receive(client) else { throw BenchError(description: "join refused") }
    }
    let payload = Payload.plain(String(repeating: "m", count: messageBytes))
    let post = ProtocolMessage.channelMsg(
        channel: "bench", from: SessionPath(user: "bench", machine: "m", session: "s0"), payload: payload).encoded()
    var received = [Int](repeating: 0, count: subscribers.count)
    var remaining = subscribers.count
    var sent = 0, acked = 0
    let window = Int(getenv("BENCH_WINDOW").map { String(cString: $0) } ?? "") ?? 256
    let start = MonotonicInstant.now()
    let cpuBefore = cpuSeconds(of: serverPID)
    let deadline = MonotonicInstant.after(milliseconds: 300_000)
    while remaining > 0 || acked < messageCount {
        while sent < messageCount && sent - acked < window {
            try first.send(binary: post)
            sent += 1
        }
        let everyone = [first] + subscribers
        var entries = everyone.map { Poller.Entry(fileDescriptor: $0.fileDescriptor, interest: $0.pollInterest) }
        if !everyone.contains(where: { $0.hasBufferedInput }) {
            _ = try Poller.wait(&entries, timeoutMilliseconds: 1_000)
        }
        guard !deadline.hasPassed else { throw BenchError(description: "fan-out did not finish in 300 s") }
        if entries[0].ready.contains(.writable) { try first.flush() }
        while let event = try first.nextEvent() {
            if case .binary = event { acked += 1 }
        }
        for (index, client) in subscribers.enumerated() {
            if entries[index + 1].ready.contains(.writable) { try client.flush() }
            while let event = try client.nextEvent() {
                guard case .binary = event else { continue }
                received[index] += 1
                if received[index] == messageCount { remaining -= 1 }
            }
        }
    }
    let elapsed = seconds(since: start)
    let serverCPU = cpuSeconds(of: serverPID) - cpuBefore
    let deliveries = Double(messageCount * subscribers.count)
    print("fan-out: \(messageCount) posts of \(messageBytes) bytes to \(subscribers.count) subscribers in "
        + "\(format2(elapsed)) s: \(Int(Double(messageCount) / elapsed)) posts/s, \(Int(deliveries / elapsed)) "
        + "deliveries/s; server CPU \(format2(serverCPU)) s (\(Int(deliveries / max(0.01, serverCPU))) deliveries per "
        + "CPU second); server RSS \(residentKiB(of: serverPID)) KiB")
    for client in sessions { client.closeAndWait(deadline: .after(milliseconds: 100)) }
}

/// Two decimals, without Foundation's String(format:).
func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

var limit = rlimit()
getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
limit.rlim_cur = limit.rlim_max
setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
signal(SIGPIPE, SIG_IGN)
_ = sodium_init()
guard CommandLine.arguments.count >= 3 else {
    print("usage: serve-bench URL SERVER_PID [SESSIONS [SUBSCRIBERS [MESSAGES [BYTES]]]]")
    exit(64)
}
do {
    try run(arguments: CommandLine.arguments)
} catch {
    print("serve-bench: \(error)")
    exit(1)
}
