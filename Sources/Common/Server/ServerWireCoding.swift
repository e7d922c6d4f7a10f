/// The encodings the core needs: frames for the outbound queue (their byte size is what the 64 MiB bound
/// counts) and `Payload` values for the history store (§6.1 stores the bincode encoding of the payload).
public struct ServerWireCoding: Sendable {
    public var encodeFrame: @Sendable (ProtocolMessage) -> [UInt8]
    public var encodePayload: @Sendable (Payload) -> [UInt8]
    /// `nil` when the stored bytes no longer decode; such history rows are skipped (§6.5).
    public var decodePayload: @Sendable ([UInt8]) -> Payload?

    public init(
        encodeFrame: @escaping @Sendable (ProtocolMessage) -> [UInt8],
        encodePayload: @escaping @Sendable (Payload) -> [UInt8],
        decodePayload: @escaping @Sendable ([UInt8]) -> Payload?
    ) {
        self.encodeFrame = encodeFrame
        self.encodePayload = encodePayload
        self.decodePayload = decodePayload
    }
}
