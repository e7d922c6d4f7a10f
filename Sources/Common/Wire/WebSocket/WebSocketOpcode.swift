/// The 4-bit frame opcode (RFC 6455 §5.2). Values 3–7 and 0xB–0xF are reserved and refused on input.
package struct WebSocketOpcode: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: UInt8

    /// Accepts any 4-bit value, including reserved ones, so the parser can name what it refuses.
    package init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

    package static let continuation = WebSocketOpcode(rawValue: 0x0)
    package static let text = WebSocketOpcode(rawValue: 0x1)
    package static let binary = WebSocketOpcode(rawValue: 0x2)
    package static let close = WebSocketOpcode(rawValue: 0x8)
    package static let ping = WebSocketOpcode(rawValue: 0x9)
    package static let pong = WebSocketOpcode(rawValue: 0xA)

    /// Close, ping and pong: at most 125 payload bytes, never fragmented.
    package var isControl: Bool { rawValue & 0x8 != 0 }

    /// Whether RFC 6455 defines this opcode (no extension is ever negotiated here).
    package var isDefined: Bool {
        switch rawValue {
        case 0x0, 0x1, 0x2, 0x8, 0x9, 0xA: true
        default: false
        }
    }

    package var description: String {
        switch rawValue {
        case 0x0: "continuation"
        case 0x1: "text"
        case 0x2: "binary"
        case 0x8: "close"
        case 0x9: "ping"
        case 0xA: "pong"
        default: "reserved opcode \(rawValue)"
        }
    }
}
