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

    /// A tag byte, then each field: strings and byte strings as a 4-byte little-endian length and their bytes,
    /// integers as 8 little-endian bytes. Only instances of one build read it, so it carries no version.
    var encoded: [UInt8] {
        var writer = Writer()
        switch self {
        case let .superseded(path, generation):
            writer.tag(0)
            writer.string(path)
            writer.integer(generation)
        case let .whisper(target, frame, after):
            writer.tag(1)
            writer.string(target)
            writer.bytes(frame)
            writer.integer(after)
        case let .channelDeleted(channel):
            writer.tag(2)
            writer.string(channel)
        case let .channelRenamed(from, to):
            writer.tag(3)
            writer.string(from)
            writer.string(to)
        case let .userUnsubscribed(user, channel):
            writer.tag(4)
            writer.string(user)
            writer.string(channel)
        case let .pathUnsubscribed(path, channel):
            writer.tag(5)
            writer.string(path)
            writer.string(channel)
        case let .userRemoved(user):
            writer.tag(6)
            writer.string(user)
        case let .machineRemoved(user, machine):
            writer.tag(7)
            writer.string(user)
            writer.string(machine)
        }
        return writer.output
    }

    /// Decodes an event; `nil` for bytes that are not one (a newer instance's event this build does not know).
    init?(decoding bytes: [UInt8]) {
        var reader = Reader(bytes: bytes)
        guard let tag = reader.tag() else { return nil }
        let event: ClusterEvent?
        switch tag {
        case 0:
            event = reader.string().flatMap { path in reader.integer().map { .superseded(path: path, generation: $0) } }
        case 1:
            event = reader.string().flatMap { target in
                reader.bytes().flatMap { frame in
                    reader.integer().map { .whisper(target: target, frame: frame, after: $0) }
                }
            }
        case 2:
            event = reader.string().map { .channelDeleted($0) }
        case 3:
            event = reader.string().flatMap { from in reader.string().map { .channelRenamed(from: from, to: $0) } }
        case 4:
            event = reader.string().flatMap { user in
                reader.string().map { .userUnsubscribed(user: user, channel: $0) }
            }
        case 5:
            event = reader.string().flatMap { path in
                reader.string().map { .pathUnsubscribed(path: path, channel: $0) }
            }
        case 6:
            event = reader.string().map { .userRemoved($0) }
        case 7:
            event = reader.string().flatMap { user in reader.string().map { .machineRemoved(user: user, machine: $0) } }
        default:
            event = nil
        }
        guard let event, reader.isAtEnd else { return nil }
        self = event
    }

    private struct Writer {
        var output: [UInt8] = []

        mutating func tag(_ value: UInt8) { output.append(value) }

        mutating func integer(_ value: Int64) {
            withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
        }

        mutating func bytes(_ value: [UInt8]) {
            withUnsafeBytes(of: UInt32(value.count).littleEndian) { output.append(contentsOf: $0) }
            output.append(contentsOf: value)
        }

        mutating func string(_ value: String) { bytes(Array(value.utf8)) }
    }

    private struct Reader {
        let input: [UInt8]
        var offset = 0

        init(bytes: [UInt8]) { input = bytes }

        var isAtEnd: Bool { offset == input.count }

        mutating func tag() -> UInt8? {
            guard offset < input.count else { return nil }
            defer { offset += 1 }
            return input[offset]
        }

        mutating func integer() -> Int64? {
            guard let raw = take(8) else { return nil }
            return raw.reversed().reduce(0) { ($0 << 8) | Int64($1) }
        }

        mutating func bytes() -> [UInt8]? {
            guard let raw = take(4) else { return nil }
            let count = raw.reversed().reduce(0) { ($0 << 8) | Int($1) }
            return take(count).map(Array.init)
        }

        mutating func string() -> String? {
            bytes().flatMap { String(validating: $0, as: UTF8.self) }
        }

        private mutating func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard count <= input.count - offset else { return nil }
            defer { offset += count }
            return input[offset..<offset + count]
        }
    }
}
