import ConclaveCLI
import ConclavePOSIX
import ConclaveTransport

// The Autobahn|Testsuite fuzzingserver's testee: runs every case the server offers as a WebSocket echo
// client on the conclave transport, then asks it to write its reports.
// Usage: autobahn-echo-client [--url ws://127.0.0.1:9001] [--agent conclave]
import Glibc

/// One progress line on stdout.
func say(_ message: String) {
    let line = message + "\n"
    _ = line.withCString { write(1, $0, strlen($0)) }
}

let diagnostics = Diagnostics(toolName: "autobahn-echo-client")

func fail(_ message: String, status: Int32 = 1) -> Never {
    diagnostics.report(message)
    exit(status)
}

func parseArguments() -> (base: String, agent: String) {
    var parsed = (base: "ws://127.0.0.1:9001", agent: "conclave")
    var arguments = CommandLine.arguments.dropFirst()
    while let flag = arguments.popFirst() {
        switch (flag, arguments.popFirst()) {
        case ("--url", let value?): parsed.base = value
        case ("--agent", let value?): parsed.agent = value
        default: fail("usage: autobahn-echo-client [--url ws://127.0.0.1:9001] [--agent NAME]", status: 64)
        }
    }
    return parsed
}

let (base, agent) = parseArguments()

func url(_ path: String) -> WebSocketURL {
    do {
        return try WebSocketURL(parsing: base + path)
    } catch {
        fail(error.description, status: 64)
    }
}

/// Echoes every message of one connection until it closes or `deadline` passes; returns the first text message.
@discardableResult
func echo(_ client: WebSocketClient, deadline: MonotonicInstant) -> String? {
    var firstText: String?
    do {
        while let event = try client.nextEvent(deadline: deadline) {
            switch event {
            case .binary(let message): try client.send(binary: message)
            case .text(let message):
                if firstText == nil { firstText = message }
                try client.send(text: message)
            case .pong, .closed, .failed: continue
            }
        }
    } catch {
        // The fuzzingserver drops connections on purpose in many cases; that ends the case.
    }
    client.closeAndWait(deadline: .after(milliseconds: 2_000))
    return firstText
}

func open(_ path: String) -> WebSocketClient? {
    do {
        return try WebSocketClient.connect(to: url(path), deadline: .after(milliseconds: 10_000))
    } catch {
        diagnostics.report("\(path): \(error.message)")
        return nil
    }
}

BrokenPipe.ignore()
guard let counter = open("/getCaseCount") else { fail("cannot reach the fuzzingserver at \(base)") }
guard let countText = echo(counter, deadline: .after(milliseconds: 10_000)), let count = Int(countText) else {
    fail("the fuzzingserver did not send a case count")
}
say("autobahn-echo-client: running \(count) cases")
for number in 1...max(1, count) where count > 0 {
    guard let client = open("/runCase?case=\(number)&agent=\(agent)") else { continue }
    echo(client, deadline: .after(milliseconds: 60_000))
}
guard let reporter = open("/updateReports?agent=\(agent)") else { fail("cannot ask for the reports") }
echo(reporter, deadline: .after(milliseconds: 60_000))
say("autobahn-echo-client: done")
