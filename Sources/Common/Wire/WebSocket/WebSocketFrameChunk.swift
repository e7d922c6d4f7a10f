/// A piece of one frame's payload as it arrives, already unmasked.
///
/// The first chunk of a frame is produced as soon as the header is complete (possibly with no
/// payload yet), so the frame's header can be acted on before its payload is buffered.
package struct WebSocketFrameChunk: Hashable, Sendable {
    package var header: WebSocketFrameHeader
    package var payload: [UInt8]
    /// Whether this chunk starts its frame.
    package var isFirst: Bool
    /// Whether this chunk completes its frame.
    package var isLast: Bool

    package init(header: WebSocketFrameHeader, payload: [UInt8], isFirst: Bool, isLast: Bool) {
        self.header = header
        self.payload = payload
        self.isFirst = isFirst
        self.isLast = isLast
    }
}
