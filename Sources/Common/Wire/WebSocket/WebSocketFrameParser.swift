/// Incremental frame parser: feed it byte chunks of any size, take out frame chunks.
///
/// Input is kept in one contiguous buffer with a read index that is compacted as it is consumed;
/// payload bytes are handed out as soon as they arrive, so a large frame is never buffered here whole.
package struct WebSocketFrameParser: Sendable {
    /// The side reading the frames (decides the masking rule).
    package let receiver: WebSocketRole
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// The frame whose payload is being read, with how much of it is still to come.
    private var current: WebSocketFrameHeader?
    private var payloadConsumed = 0

    /// Compaction threshold: small enough to bound memory, large enough to make moves rare.
    private static let compactionThreshold = 64 * 1024
    /// The most capacity an emptied buffer keeps: enough for the usual small frames, while a connection that once
    /// read a large message does not hold that much for the rest of its idle life.
    private static let retainedCapacity = 4 * 1024

    package init(receiver: WebSocketRole) {
        self.receiver = receiver
    }

    /// Bytes received but not yet handed out.
    package var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes.
    package mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compact()
        buffer.append(contentsOf: bytes)
    }

    /// Adds received bytes.
    package mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next piece of a frame, or `nil` when more input is needed.
    ///
    /// - Parameter dataPayloadLimit: the most payload a new data frame may declare; a larger one
    ///   fails with `.messageTooLarge` before any of its payload is buffered.
    package mutating func nextChunk(dataPayloadLimit: Int) throws(WebSocketError) -> WebSocketFrameChunk? {
        var isFirst = false
        let header: WebSocketFrameHeader
        if let current {
            header = current
        } else {
            // withUnsafeBytes only rethrows untyped errors, so the typed one travels in a Result.
            let result = buffer.withUnsafeBytes { bytes in
                Result { () throws(WebSocketError) in
                    try WebSocketFrameHeader.decode(
                        UnsafeRawBufferPointer(rebasing: bytes[readIndex...]), receiver: receiver,
                        dataPayloadLimit: dataPayloadLimit)
                }
            }
            // Out of input: the caller goes idle, so what it read is released now rather than at the next read.
            guard let decoded = try result.get() else {
                compact()
                return nil
            }
            readIndex += decoded.size
            header = decoded.header
            current = header
            payloadConsumed = 0
            isFirst = true
        }
        let available = min(header.payloadLength - payloadConsumed, buffer.count - readIndex)
        guard available > 0 || isFirst else {
            compact()
            return nil
        }
        var payload = Array(buffer[readIndex..<(readIndex + available)])
        if let key = header.maskingKey {
            let offset = payloadConsumed
            payload.withUnsafeMutableBytes { key.apply(to: $0, offset: offset) }
        }
        readIndex += available
        payloadConsumed += available
        let isLast = payloadConsumed == header.payloadLength
        if isLast { current = nil }
        return WebSocketFrameChunk(header: header, payload: payload, isFirst: isFirst, isLast: isLast)
    }

    private mutating func compact() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= Self.retainedCapacity)
            readIndex = 0
        } else if readIndex >= Self.compactionThreshold, readIndex * 2 >= buffer.count {
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
    }
}
