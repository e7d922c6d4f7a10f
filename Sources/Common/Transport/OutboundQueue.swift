internal import Glibc

/// Bytes waiting to be written to one stream, in order, with their total kept so that a caller can bound
/// what one slow peer may hold in memory. Chunks may be tagged as messages, so that a caller bounding its
/// queue in messages learns when they have left (`takeWrittenMessages`).
package struct OutboundQueue: Sendable {
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
    package private(set) var byteCount = 0
    /// Messages queued and not completely written.
    package private(set) var messageCount = 0
    /// Bytes queued outside messages (control frames, a response head) and not yet written.
    package private(set) var unmarkedByteCount = 0

    package init() {}

    package var isEmpty: Bool { byteCount == 0 }

    /// Queues `bytes` after everything already queued. With `messageSize`, the chunk counts as one message of
    /// that size (the caller's measure, e.g. its payload without framing) in `messageCount` and
    /// `takeWrittenMessages`.
    package mutating func append(_ bytes: [UInt8], messageSize: Int? = nil) {
        guard !bytes.isEmpty else { return }
        chunks.append(Chunk(bytes: bytes, messageSize: messageSize))
        byteCount += bytes.count
        if messageSize != nil { messageCount += 1 } else { unmarkedByteCount += bytes.count }
    }

    /// The messages completely written since the last call, and the sum of their sizes.
    package mutating func takeWrittenMessages() -> (count: Int, bytes: Int) {
        defer {
            writtenMessages = 0
            writtenMessageBytes = 0
        }
        return (writtenMessages, writtenMessageBytes)
    }

    /// Writes as much as `stream` takes now. Returns nil when the queue is empty afterwards, else what to
    /// wait for before calling again. Over plain TCP, several queued chunks go out in one writev(2).
    package mutating func flush(to stream: TransportStream) throws(TransportError) -> IOInterest? {
        while head < chunks.count {
            let outcome: IOOutcome
            if !stream.isTLS && chunks.count - head > 1 {
                outcome = try writeVectored(to: stream.socket)
            } else {
                let offset = headOffset
                // withUnsafeBytes rethrows untyped errors; Result carries the typed one out.
                outcome = try chunks[head].bytes.withUnsafeBytes { raw in
                    Result { () throws(TransportError) in
                        try stream.write(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                    }
                }.get()
            }
            switch outcome {
            case .transferred(let count):
                consume(count)
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

    /// Marks `count` bytes from the front as written, completing chunks (and messages) as it goes.
    private mutating func consume(_ count: Int) {
        byteCount -= count
        var remaining = count
        while remaining > 0 && head < chunks.count {
            let left = chunks[head].bytes.count - headOffset
            let isUnmarked = chunks[head].messageSize == nil
            guard remaining >= left else {
                headOffset += remaining
                if isUnmarked { unmarkedByteCount -= remaining }
                return
            }
            remaining -= left
            if isUnmarked { unmarkedByteCount -= left }
            if let size = chunks[head].messageSize {
                messageCount -= 1
                writtenMessages += 1
                writtenMessageBytes += size
            }
            chunks[head].bytes = []
            head += 1
            headOffset = 0
        }
    }

    /// One writev(2) of up to 16 chunks from the front.
    private func writeVectored(to socket: Socket) throws(TransportError) -> IOOutcome {
        var vectors: [iovec] = []
        vectors.reserveCapacity(16)
        return try withVectors(from: head, offset: headOffset, into: &vectors) { vectors in
            Result { () throws(TransportError) in try socket.send(vectors: vectors) }
        }.get()
    }

    /// Calls `body` with iovecs over chunks `index...` (at most 16), each chunk's storage pinned by nesting
    /// its `withUnsafeBytes` around the rest.
    private func withVectors<Outcome>(
        from index: Int, offset: Int, into vectors: inout [iovec], _ body: ([iovec]) -> Outcome
    ) -> Outcome {
        guard index < chunks.count, vectors.count < 16 else { return body(vectors) }
        return chunks[index].bytes.withUnsafeBytes { raw in
            let rest = UnsafeRawBufferPointer(rebasing: raw[offset...])
            vectors.append(iovec(iov_base: UnsafeMutableRawPointer(mutating: rest.baseAddress), iov_len: rest.count))
            return withVectors(from: index + 1, offset: 0, into: &vectors, body)
        }
    }

    /// Drops written chunks from the front once they are a good share of the array.
    private mutating func compact() {
        if head > 32 && head * 2 > chunks.count {
            chunks.removeFirst(head)
            head = 0
        }
    }
}
