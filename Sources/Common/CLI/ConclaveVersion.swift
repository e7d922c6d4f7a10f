import ConclaveWire

/// The toolkit's version, printed by every tool's `--version`.
package enum ConclaveVersion {
    /// The toolkit's own version, the same for every tool.
    package static let current = "0.1.0"
    /// What `--version` prints: with the wire protocol version the tools speak (PROTOCOL.md §0).
    package static let text = "\(current) (protocol \(ProtocolMessage.protocolVersion))"
}
