// The server side of the HTTP upgrade: a request head read in one piece or in many gives the same request, the
// same leftover bytes (the first WebSocket frames) or the same refusal.
import ConclaveWire

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHTTPRequest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    // A small limit as well as the default, so heads too large are reached within libFuzzer's input sizes.
    for limit in [300, HTTPRequestParser.defaultMaximumHeadSize] {
        let whole = parse(limit: limit, reads: [bytes[...]])
        let pieces = parse(limit: limit, reads: fuzzChunks(bytes))
        fuzzCheck(whole == pieces, "limit \(limit): one read gives \(whole), several give \(pieces)")
        if case let .request(request, _) = whole { answer(request) }
    }
    return 0
}

/// What the server does next: route, check the upgrade, and answer; a key it accepts must satisfy our own client.
private func answer(_ request: HTTPRequest) {
    _ = request.path
    let key: String
    do {
        key = try request.webSocketKey()
    } catch {
        _ = HTTPResponse.refusal(for: error)
        return
    }
    let response = HTTPResponse.switchingProtocols(key: key, serverID: "fuzz")
    do {
        var client = try WebSocketClientHandshake(
            host: "conclave.example", port: 80, path: "/", isSecure: false, key: key)
        let upgraded = try client.receive(response)
        fuzzCheck(upgraded?.serverID == "fuzz" && upgraded?.leftover == [], "our client refuses our 101 for \(key)")
    } catch {
        fuzzCheck(false, "our client refuses our 101 for \(key): \(error)")
    }
}

private enum Outcome: Equatable {
    case incomplete
    case request(HTTPRequest, leftover: [UInt8])
    case refused(HTTPUpgradeError.Code, status: Int)
}

private func parse(limit: Int, reads: [ArraySlice<UInt8>]) -> Outcome {
    var parser = HTTPRequestParser(maximumHeadSize: limit)
    for (index, read) in reads.enumerated() {
        do {
            if let request = try parser.receive(Array(read)) {
                // What the caller has not fed yet is leftover too.
                return .request(request, leftover: parser.leftover + reads[(index + 1)...].joined())
            }
        } catch {
            // Details may name where the limit was noticed, which depends on the reads; the code and status don't.
            return .refused(error.code, status: error.responseStatus.code)
        }
    }
    return .incomplete
}
