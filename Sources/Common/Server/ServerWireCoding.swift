/// The encodings the core needs: frames for the outbound queue (their byte size is what the 64 MiB bound
/// counts) and `Payload` values for the history store (§6.1 stores the bincode encoding of the payload).
public struct ServerWireCoding {
    public var encodeFrame: (ProtocolMessage) -> [UInt8]
    public var encodePayload: (Payload) -> [UInt8]
    /// `nil` when the stored bytes no longer decode; such history rows are skipped (§6.5).
    public var decodePayload: ([UInt8]) -> Payload?

    public init(
        encodeFrame: @escaping (ProtocolMessage) -> [UInt8],
        encodePayload: @escaping (Payload) -> [UInt8],
        decodePayload: @escaping ([UInt8]) -> Payload?
    ) {
        self.encodeFrame = encodeFrame
        self.encodePayload = encodePayload
        self.decodePayload = decodePayload
    }
}
