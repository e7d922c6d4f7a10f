/// The toolkit's version, printed by every tool's `--version`.
public enum ConclaveVersion {
    /// The toolkit's own version, the same for every tool.
    public static let current = "0.1.0"
    /// The wire protocol version the tools speak (PROTOCOL.md §0).
    public static let protocolVersion: UInt32 = 1
    /// What `--version` prints.
    public static let text = "\(current) (protocol \(protocolVersion))"
}
