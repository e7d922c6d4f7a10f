import ConclaveWire

/// What one instance of a deployment tells the others (issue 16), so that a change made on one instance
/// takes effect on the sessions every instance holds. Carried as opaque bytes by ``ClusterDirectory``.
enum ClusterEvent: Hashable, Sendable {
    /// A session on another instance took `path`: the holder of an older generation is dropped (§5.5).
    case superseded(path: String, generation: Int64)
    /// A whisper for the session at `target`, as the encoded `whisper` frame to send it, after the messages up to
    /// `after` in the log (the sender's posts before it: one sender's frames keep their order).
    case whisper(target: String, frame: [UInt8], after: Int64)
    /// The channel is gone: its subscriptions end silently.
    case channelDeleted(String)
    /// Subscriptions follow the new name.
    case channelRenamed(from: String, to: String)
    /// Every session of `user` leaves `channel` (kick, ban, ACL removal).
    case userUnsubscribed(user: String, channel: String)
    /// The session at `path` leaves `channel` (a kick naming one session).
    case pathUnsubscribed(path: String, channel: String)
    /// Every session of `user` is dropped (`user_remove`).
    case userRemoved(String)
    /// Every session of `user` on `machine` is dropped (`machine_remove`).
    case machineRemoved(user: String, machine: String)

    /// In the protocol's own bincode form (PROTOCOL.md §3): the case's index as a variant, then its fields. Only
    /// instances of one build read it, so it carries no version.
    var encoded: [UInt8] {
        var writer = WireWriter()
        switch self {
        case let .superseded(path, generation):
            writer.writeVariant(0)
            writer.writeString(path)
            writer.writeI64(generation)
        case let .whisper(target, frame, after):
            writer.writeVariant(1)
            writer.writeString(target)
            writer.writeBytes(frame)
            writer.writeI64(after)
        case let .channelDeleted(channel):
            writer.writeVariant(2)
            writer.writeString(channel)
        case let .channelRenamed(from, to):
            writer.writeVariant(3)
            writer.writeString(from)
            writer.writeString(to)
        case let .userUnsubscribed(user, channel):
            writer.writeVariant(4)
            writer.writeString(user)
            writer.writeString(channel)
        case let .pathUnsubscribed(path, channel):
            writer.writeVariant(5)
            writer.writeString(path)
            writer.writeString(channel)
        case let .userRemoved(user):
            writer.writeVariant(6)
            writer.writeString(user)
        case let .machineRemoved(user, machine):
            writer.writeVariant(7)
            writer.writeString(user)
            writer.writeString(machine)
        }
        return writer.bytes
    }

    /// Decodes an event; `nil` for bytes that are not one (a newer instance's event this build does not know).
    init?(decoding bytes: [UInt8]) {
        let event = bytes.withUnsafeBufferPointer { buffer -> ClusterEvent? in
            var reader = WireReader(buffer)
            do throws(FrameDecodingError) {
                let event = try Self.read(from: &reader)
                try reader.expectEnd()
                return event
            } catch {
                return nil
            }
        }
        guard let event else { return nil }
        self = event
    }

    private static func read(from reader: inout WireReader) throws(FrameDecodingError) -> ClusterEvent {
        switch try reader.readVariant(caseCount: 8) {
        case 0: .superseded(path: try reader.readString(), generation: try reader.readI64())
        case 1: .whisper(target: try reader.readString(), frame: try reader.readBytes(), after: try reader.readI64())
        case 2: .channelDeleted(try reader.readString())
        case 3: .channelRenamed(from: try reader.readString(), to: try reader.readString())
        case 4: .userUnsubscribed(user: try reader.readString(), channel: try reader.readString())
        case 5: .pathUnsubscribed(path: try reader.readString(), channel: try reader.readString())
        case 6: .userRemoved(try reader.readString())
        default: .machineRemoved(user: try reader.readString(), machine: try reader.readString())
        }
    }
}
