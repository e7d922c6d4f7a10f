/// Bytes waiting to be written to one stream, in order, with their total kept so that a caller can bound
/// what one slow peer may hold in memory. Chunks may be tagged as messages, so that a caller bounding its
/// queue in messages learns when they have left (`takeWrittenMessages`).
public struct OutboundQueue: Sendable {
    private struct Chunk: Sendable {
        var bytes: [UInt8]
        /// The size the caller reports for this message, nil for bytes that are not a message.
        var messageSize: Int?
    }

    private var chunks: [Chunk] = []
    private var head = 0
    /// How much of `chunks[head]` is already written.
    private var headOffset = 0
    private var writtenMessages = 0
    private var writtenMessageBytes = 0

    /// Bytes queued and not yet written.
    public private(set) var byteCount = 0
    /// Messages queued and not completely written.
    public private(set) var messageCount = 0

    public init() {}

    public var isEmpty: Bool { byteCount == 0 }

    /// Queues `bytes` after everything already queued. With `messageSize`, the chunk counts as one message of
    /// that size (the caller's measure, e.g. its payload without framing) in `messageCount` and
    /// `takeWrittenMessages`.
    public mutating func append(_ bytes: [UInt8], messageSize: Int? = nil) {
        guard !bytes.isEmpty else { return }
        chunks.append(Chunk(bytes: bytes, messageSize: messageSize))
        byteCount += bytes.count
        if messageSize != nil { messageCount += 1 }
    }

    /// The messages completely written since the last call, and the sum of their sizes.
    public mutating func takeWrittenMessages() -> (count: Int, bytes: Int) {
        defer {
            writtenMessages = 0
            writtenMessageBytes = 0
        }
        return (writtenMessages, writtenMessageBytes)
    }

    /// Writes as much as `stream` takes now. Returns nil when the queue is empty afterwards, else what to
    /// wait for before calling again.
    public mutating func flush(to stream: TransportStream) throws(TransportError) -> IOInterest? {
        while head < chunks.count {
            let offset = headOffset
            // withUnsafeBytes rethrows untyped errors; Result carries the typed one out.
            let outcome = try chunks[head].bytes.withUnsafeBytes { raw in
                Result { () throws(TransportError) in
                    try stream.write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                }
            }.get()
            switch outcome {
            case .transferred(let count):
                headOffset += count
                byteCount -= count
                if headOffset == chunks[head].bytes.count {
                    if let size = chunks[head].messageSize {
                        messageCount -= 1
                        writtenMessages += 1
                        writtenMessageBytes += size
                    }
                    chunks[head].bytes = []
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
