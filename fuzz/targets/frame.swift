// The binary frame decoder (PROTOCOL.md §3): any bytes either decode or throw; a decoded frame re-encodes to
// bytes that decode to it again (never longer: non-minimal varints are the only slack the decoder accepts) and
// survives its JSON form (§4).
import ConclaveWire

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzFrame(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    guard let frame = try? ProtocolMessage(decoding: bytes) else { return 0 }
    let encoded = frame.encoded()
    fuzzCheck(encoded.count <= bytes.count, "re-encoding grew from \(bytes.count) to \(encoded.count) bytes")
    do {
        let again = try ProtocolMessage(decoding: encoded)
        fuzzCheck(again == frame, "binary round trip changed \(frame) into \(again)")
    } catch {
        fuzzCheck(false, "own encoding of \(frame) does not decode: \(error)")
    }
    let line = AnnotatedFrame(frame).jsonLine()
    do {
        let fromJSON = try AnnotatedFrame(jsonLine: line).frame
        fuzzCheck(fromJSON == frame, "JSON round trip changed \(frame) into \(fromJSON) via \(line)")
    } catch {
        fuzzCheck(false, "JSON form \(line) does not read back: \(error)")
    }
    // The sliced entry point must agree with the array one.
    let sliced = try? ProtocolMessage(decoding: ([0] + bytes)[1...])
    fuzzCheck(sliced == frame, "slice decoding differs")
    return 0
}
