// The WebSocket endpoint (RFC 6455) and its frame parser, as server and as client: any byte stream gives events
// or a protocol failure, never a crash, and the events do not depend on how the stream was cut into reads.
import ConclaveWire

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzWebSocket(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    let chunks = fuzzChunks(bytes)
    // A small message limit half the time, so the size checks on fragments are reached with short inputs.
    let limit = chunks.count % 2 == 0 ? 200 : WebSocketConnection.defaultMaximumMessageSize
    for role in [WebSocketRole.server, .client] {
        let whole = run(role: role, limit: limit, reads: [bytes[...]])
        let pieces = run(role: role, limit: limit, reads: chunks)
        fuzzCheck(whole.events == pieces.events, "\(role): events differ between one read and \(chunks.count)")
        fuzzCheck(whole.isClosed == pieces.isClosed, "\(role): close state differs")
        // A client masks what it sends with fresh random keys, so only a server's output is reproducible.
        if role == .server {
            fuzzCheck(whole.output == pieces.output, "server: output differs between one read and several")
        } else {
            fuzzCheck(whole.output.count == pieces.output.count, "client: output length differs")
        }
    }
    return 0
}

private func run(
    role: WebSocketRole, limit: Int, reads: [ArraySlice<UInt8>]
) -> (events: [WebSocketEvent], output: [UInt8], isClosed: Bool) {
    var connection = WebSocketConnection(role: role, maximumMessageSize: limit)
    var events: [WebSocketEvent] = []
    var output: [UInt8] = []
    for read in reads {
        read.withUnsafeBytes { connection.receive($0) }
        while let event = connection.nextEvent() { events.append(event) }
        output += connection.takeOutput()
    }
    return (events, output, connection.isClosed)
}
