// conclave-connect's input (TOOLS.md "Input"): a byte stream cut into lines however it arrives, each line a
// request, a blank, or an input error; never a crash. A request is fit to send: client-to-server, not a
// handshake frame, and its encoding decodes back to it.
import ConclaveWire

private let ownPath = SessionPath(user: "aaron", machine: "workstation", session: "fuzz")

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzInputLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    let whole = split(bytes, reads: [bytes[...]])
    let pieces = split(bytes, reads: fuzzChunks(bytes))
    fuzzCheck(whole == pieces, "lines differ between one read and several")
    for line in whole {
        guard case let .text(text, number) = line else { continue }
        switch InputLine.parse(text, number: number, defaultFrom: ownPath) {
        case nil:
            fuzzCheck(text.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }, "a non-blank line was skipped")
        case let .success(request)?:
            let frame = request.frame
            fuzzCheck(frame.isClientToServer, "accepted server-to-client \(frame)")
            do {
                let decoded = try ProtocolMessage(decoding: frame.encoded())
                fuzzCheck(decoded == frame, "binary round trip changed \(frame) into \(decoded)")
            } catch {
                fuzzCheck(false, "own encoding of \(frame) does not decode: \(error)")
            }
        case let .failure(error)?:
            fuzzCheck(error.line == number && !error.message.isEmpty, "input error without line or message")
        }
    }
    return 0
}

private func split(_ bytes: [UInt8], reads: [ArraySlice<UInt8>]) -> [LineSplitter.Line] {
    // A small line limit, so overlong lines are reached within libFuzzer's input sizes.
    var splitter = LineSplitter(maximumLineByteCount: 512)
    var lines: [LineSplitter.Line] = []
    for read in reads { lines += splitter.append(read) }
    if let last = splitter.finish() { lines.append(last) }
    // Nothing lost or invented: without an overlong line, the lines are the stream.
    var texts: [[UInt8]] = []
    for case let .text(text, _) in lines { texts.append(text) }
    if texts.count == lines.count {
        var joined = Array(texts.joined(separator: [UInt8(ascii: "\n")]))
        if bytes.last == UInt8(ascii: "\n") { joined.append(UInt8(ascii: "\n")) }
        fuzzCheck(joined == bytes, "the lines are not the stream")
    }
    return lines
}
