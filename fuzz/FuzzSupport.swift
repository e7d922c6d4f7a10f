// Compiled into every fuzz target (scripts/fuzz.sh): what the entry points share.

/// The bytes libFuzzer hands over, copied so the code under test gets an ordinary array.
func fuzzBytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
    guard let data, size > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: size))
}

/// The input cut into chunks whose sizes come from a checksum of the input itself, so the incremental parsers see
/// their input split at many different boundaries without a control prefix spoiling text seeds (HTTP, JSON).
func fuzzChunks(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
    var state = bytes.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 }
    // Mostly small chunks (the boundaries are where incremental parsers go wrong), sometimes whole reads.
    let limits = [1, 2, 7, 64, 1024]
    let limit = limits[Int(state % UInt32(limits.count))]
    var chunks: [ArraySlice<UInt8>] = []
    var start = 0
    while start < bytes.count {
        state = state &* 1_103_515_245 &+ 12345
        let size = min(1 + Int((state >> 8) % UInt32(limit)), bytes.count - start)
        chunks.append(bytes[start..<(start + size)])
        start += size
    }
    return chunks
}

/// Fails the run with a message libFuzzer keeps next to the crashing input.
func fuzzCheck(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
    if !condition() { fatalError("fuzz property violated: \(message())") }
}
