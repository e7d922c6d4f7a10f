// The client side of the HTTP upgrade: reading the server's response. The key is fixed (RFC 6455 §1.3's sample),
// so seeds can carry the matching Sec-WebSocket-Accept; one read or many must give the same outcome.
import ConclaveWire

/// RFC 6455 §1.3; its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
private let sampleKey = "dGhlIHNhbXBsZSBub25jZQ=="

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    for limit in [300, HTTPRequestParser.defaultMaximumHeadSize] {
        let whole = read(limit: limit, reads: [bytes[...]])
        let pieces = read(limit: limit, reads: fuzzChunks(bytes))
        fuzzCheck(whole == pieces, "limit \(limit): one read gives \(whole), several give \(pieces)")
    }
    return 0
}

private enum Outcome: Equatable {
    case incomplete
    case upgraded(WebSocketClientHandshake.Upgraded)
    case refused(HTTPUpgradeError.Code, status: HTTPStatus?)
}

private func read(limit: Int, reads: [ArraySlice<UInt8>]) -> Outcome {
    var handshake: WebSocketClientHandshake
    do {
        handshake = try WebSocketClientHandshake(
            host: "conclave.example", port: 443, path: "/", isSecure: true, key: sampleKey, maximumHeadSize: limit)
    } catch {
        fatalError("the fixed request is valid: \(error)")
    }
    for (index, read) in reads.enumerated() {
        do {
            if var upgraded = try handshake.receive(Array(read)) {
                upgraded.leftover += reads[(index + 1)...].joined()
                return .upgraded(upgraded)
            }
        } catch {
            return .refused(error.code, status: error.status)
        }
    }
    return .incomplete
}
