// The key file (PROTOCOL.md §8.2): any contents either load or are refused; a loaded seed is exactly the file's
// text without surrounding whitespace (the strict base64url of 32 bytes, one text per seed) and signs.
#if canImport(Glibc)
import Glibc
#endif
import ConclaveIdentity
import ConclaveWire

/// One file per process, rewritten for every input (KeyFile reads only from a path, checking its mode).
private let keyPath: String = {
    var template = Array("/tmp/conclave-fuzz-key-XXXXXX".utf8CString)
    let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    precondition(descriptor >= 0, "mkstemp failed")
    close(descriptor)
    // libFuzzer ends with exit(), which runs this; a crash leaves the file in /tmp.
    atexit { unlink(keyPath) }
    return String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}()

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzKeyFile(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = fuzzBytes(data, size)
    let descriptor = open(keyPath, O_WRONLY | O_TRUNC, 0o600)
    precondition(descriptor >= 0, "cannot rewrite \(keyPath)")
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
    precondition(written == bytes.count, "short write to \(keyPath)")
    guard let seed = try? KeyFile(path: keyPath).load() else { return 0 }
    let text = Array(seed.buffer.withUnsafeBytes { Base64URL.encode($0) }.utf8)
    let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
    let trimmed = Array(bytes.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    fuzzCheck(trimmed == text, "the key loaded from \(trimmed) encodes as \(text)")
    _ = seed.signingKey()
    return 0
}
