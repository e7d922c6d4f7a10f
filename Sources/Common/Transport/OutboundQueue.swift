/// Bytes waiting to be written to one stream, in order, with their total kept so that a caller can bound
/// what one slow peer may hold in memory.
public struct OutboundQueue: Sendable {
    private var chunks: [[UInt8]] = []
    private var head = 0
    /// How much of `chunks[head]` is already written.
    private var headOffset = 0

    /// Bytes queued and not yet written.
    public private(set) var byteCount = 0

    public init() {}

    public var isEmpty: Bool { byteCount == 0 }

    /// Queues `bytes` after everything already queued.
    public mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        chunks.append(bytes)
        byteCount += bytes.count
    }

    /// Writes as much as `stream` takes now. Returns nil when the queue is empty afterwards, else what to
    /// wait for before calling again.
    public mutating func flush(to stream: TransportStream) throws(TransportError) -> IOInterest? {
        while head < chunks.count {
            let offset = headOffset
            // withUnsafeBytes rethrows untyped errors; Result carries the typed one out.
            let outcome = try chunks[head].withUnsafeBytes { raw in
                Result { () throws(TransportError) in
                    try stream.write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }
            }.get()
            switch outcome {
            case .transferred(let count):
                headOffset += count
                byteCount -= count
                if headOffset == chunks[head].count {
                    head += 1
                    headOffset = 0
                }
            case .wouldBlock(let interest):
                compact()
                return interest
            case .endOfStream:
                return nil
            }
        }
        chunks.removeAll(keepingCapacity: chunks.capacity <= 64)
        head = 0
        return nil
    }

    /// Drops written chunks from the front once they are a good share of the array.
    private mutating func compact() {
        if head > 32 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
