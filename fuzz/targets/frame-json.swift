// The JSON form of frames (PROTOCOL.md §4) and the JSON reader under it: any text either reads or throws; a value
// re-serializes to text that reads back to it; a frame read from JSON survives its JSON and binary forms.
import ConclaveWire

private let ownPath = SessionPath(user: "aaron", machine: "workstation", session: "fuzz")

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzFrameJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    guard let value = try? JSONValue(parsing: bytes) else { return 0 }
    let text = value.serialized()
    do {
        let again = try JSONValue(parsing: text)
        fuzzCheck(again == value, "JSON round trip changed \(value) into \(again)")
    } catch {
        fuzzCheck(false, "serialized JSON \(text) does not read back: \(error)")
    }
    // Also as a tool reads its input lines, where an omitted `from` is the tool's own path.
    for defaultFrom in [nil, ownPath] {
        guard let annotated = try? AnnotatedFrame(json: value, defaultFrom: defaultFrom) else { continue }
        let line = annotated.jsonLine()
        do {
            let again = try AnnotatedFrame(jsonLine: line)
            fuzzCheck(again == annotated, "frame JSON round trip changed \(annotated) into \(again) via \(line)")
        } catch {
            fuzzCheck(false, "frame JSON \(line) does not read back: \(error)")
        }
        let frame = annotated.frame
        do {
            let decoded = try ProtocolMessage(decoding: frame.encoded())
            fuzzCheck(decoded == frame, "binary round trip changed \(frame) into \(decoded)")
        } catch {
            fuzzCheck(false, "own encoding of \(frame) does not decode: \(error)")
        }
    }
    return 0
}
