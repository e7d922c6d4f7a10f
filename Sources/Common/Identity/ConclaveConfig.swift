#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX

/// One registration: the server URL exactly as dialled, the username claimed there and the machine name this
/// key is enrolled under (`[[servers]]`, PROTOCOL.md §8.4).
package struct ServerRegistration: Hashable, Sendable {
    package var url: String
    package var username: String
    package var machine: String

    package init(url: String, username: String, machine: String) {
        self.url = url
        self.username = username
        self.machine = machine
    }

    /// The `[[servers]]` block as written in `config.toml`.
    package var tomlBlock: String {
        "[[servers]]\nurl = \(TOMLWriter.quoted(url))\nusername = \(TOMLWriter.quoted(username))\n"
            + "machine = \(TOMLWriter.quoted(machine))\n"
    }
}

/// A per-scope permission level (`[[overrides]]`): `channel` nil is the whisper scope of that server, not "every
/// channel".
package struct PermissionOverride: Hashable, Sendable {
    package var server: String
    package var channel: String?
    package var level: PermissionLevel

    package init(server: String, channel: String?, level: PermissionLevel) {
        self.server = server
        self.channel = channel
        self.level = level
    }

    /// The `[[overrides]]` block as written in `config.toml`; also what a refusal under `--agent` quotes as the
    /// override that would allow the send.
    package var tomlBlock: String {
        var text = "[[overrides]]\nserver = \(TOMLWriter.quoted(server))\n"
        if let channel { text += "channel = \(TOMLWriter.quoted(channel))\n" }
        return text + "level = \(TOMLWriter.quoted(level.rawValue))\n"
    }
}

/// `<dir>/config.toml` in upstream's format (PROTOCOL.md §8.4), so one directory serves both implementations.
/// Keys this version does not know are ignored on read (upstream may add some) and kept when the file is written.
package struct ConclaveConfig: Hashable, Sendable {
    package var defaultPermission: PermissionLevel
    package var servers: [ServerRegistration]
    package var overrides: [PermissionOverride]

    /// All defaults: what a missing file means.
    package init(
        defaultPermission: PermissionLevel = .notify, servers: [ServerRegistration] = [],
        overrides: [PermissionOverride] = []
    ) {
        self.defaultPermission = defaultPermission
        self.servers = servers
        self.overrides = overrides
    }

    // MARK: Queries and edits

    /// The level for a scope: the first override for exactly this URL string and this channel (nil: the whisper
    /// scope), else `defaultPermission`. URLs compare as plain strings (`wss://x` is not `wss://x/`).
    package func permission(server: String, channel: String?) -> PermissionLevel {
        overrides.first { $0.server == server && $0.channel == channel }?.level ?? defaultPermission
    }

    /// The registration for exactly this URL, if any.
    package func registration(url: String) -> ServerRegistration? {
        servers.first { $0.url == url }
    }

    /// Records a registration, replacing the entry with the same URL in place (never a duplicate), else appending.
    package mutating func register(url: String, username: String, machine: String) {
        let registration = ServerRegistration(url: url, username: username, machine: machine)
        if let existing = servers.firstIndex(where: { $0.url == url }) {
            servers[existing] = registration
            // A hand-edited file may list the URL twice; the first entry is the one that stays.
            servers = servers.enumerated().filter { $0.offset <= existing || $0.element.url != url }.map(\.element)
        } else {
            servers.append(registration)
        }
    }

    /// Removes the server's registration and its overrides; returns whether anything was removed.
    @discardableResult
    package mutating func removeServer(url: String) -> Bool {
        let before = servers.count + overrides.count
        servers.removeAll { $0.url == url }
        overrides.removeAll { $0.server == url }
        return servers.count + overrides.count != before
    }

    // MARK: Reading

    /// Reads the file; a missing file is all defaults.
    package static func load(from path: String) throws(ConfigError) -> ConclaveConfig {
        guard let bytes = try readBytes(path) else { return ConclaveConfig() }
        return try ConclaveConfig(toml: bytes, path: path)
    }

    /// The file's bytes, nil when it is missing.
    private static func readBytes(_ path: String) throws(ConfigError) -> [UInt8]? {
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(path, flags: O_RDONLY | O_NOCTTY | O_NONBLOCK)
        } catch where error.errorNumber == ENOENT || error.errorNumber == ENOTDIR {
            return nil
        } catch {
            throw ConfigError(path: path, systemCall: error)
        }
        let bytes: [UInt8]
        do throws(SystemCallError) {
            let info = try file.status()
            guard info.st_mode & S_IFMT == S_IFREG else {
                throw SystemCallError("read", path: path, errorNumber: EISDIR)
            }
            // One byte more than the size (capped) lets the reader see a file over its limit.
            var buffer = [UInt8](repeating: 0, count: min(Int(info.st_size), TOMLReader.maximumByteCount) + 1)
            let outcome = buffer.withUnsafeMutableBytes { destination in
                Result { () throws(SystemCallError) in try file.read(into: destination) }
            }
            bytes = Array(buffer[0..<(try outcome.get())])
        } catch {
            throw ConfigError(path: path, systemCall: error)
        }
        return bytes
    }

    /// Parses TOML text; `path` names the file in errors.
    package init(toml bytes: [UInt8], path: String) throws(ConfigError) {
        let root: TOMLTable
        do {
            root = try TOMLReader.parse(bytes)
        } catch {
            throw ConfigError(path: path, position: error.position, message: error.message)
        }
        let schema = ConfigSchema(path: path)
        self.init(
            defaultPermission: try schema.level(root, "default_permission") ?? .notify,
            servers: try schema.tables(root, "servers").map { table throws(ConfigError) in
                ServerRegistration(
                    url: try schema.requiredString(table, "url"),
                    username: try schema.requiredString(table, "username"),
                    machine: try schema.requiredString(table, "machine"))
            },
            overrides: try schema.tables(root, "overrides").map { table throws(ConfigError) in
                PermissionOverride(
                    server: try schema.requiredString(table, "server"),
                    channel: try schema.string(table, "channel"),
                    level: try schema.level(table, "level", required: true) ?? .notify)
            })
    }

    // MARK: Writing

    /// A new file, laid out as upstream (Rust `toml` crate) writes it: `default_permission` first, then a blank
    /// line before each `[[servers]]` and `[[overrides]]` block, an absent channel omitted. Unlike upstream, no
    /// `servers = []` or `overrides = []` for an empty list: the user's own `[[overrides]]` would then be a
    /// redefinition, refused by every TOML reader.
    package var tomlText: String {
        var text = "default_permission = \(TOMLWriter.quoted(defaultPermission.rawValue))\n"
        for server in servers { text += "\n" + server.tomlBlock }
        for override in overrides { text += "\n" + override.tomlBlock }
        return text
    }

    /// Loads the file, applies `change` and saves the result, holding an exclusive `flock` on the directory
    /// meanwhile, so two of our processes registering at once do not lose one of the updates (upstream does not
    /// lock; its writes stay atomic either way). The directory is created as needed. Only what `change` changed
    /// is edited in the file: comments, layout and unknown keys stay (`ConfigDocument`).
    package static func update(
        at path: String, _ change: (inout ConclaveConfig) throws(ConfigError) -> Void
    ) throws(ConfigError) {
        let directory: FileDescriptor
        do {
            try FilePaths.createDirectories(FilePaths.directory(of: path))
            directory = try FileDescriptor.open(FilePaths.directory(of: path), flags: O_RDONLY | O_DIRECTORY)
            try directory.lockExclusively()
        } catch {
            throw ConfigError(path: path, systemCall: error)
        }
        let bytes = try readBytes(path) ?? []
        let old = try ConclaveConfig(toml: bytes, path: path)
        var config = old
        try change(&config)
        if config != old || bytes.isEmpty {
            try write(ConfigDocument.edit(bytes, from: old, to: config, path: path), to: path)
        }
        // Closing the descriptor (when `directory` is released) releases the lock.
        withExtendedLifetime(directory) {}
    }

    /// Writes the file atomically (temporary file in the same directory, then rename), creating the directory as
    /// needed. An existing file is edited, not replaced: only the values that differ from it change, and its
    /// comments, layout and unknown keys stay (`ConfigDocument`). The file keeps its current mode; a new file
    /// gets 0600.
    package func save(to path: String) throws(ConfigError) {
        let existing = try Self.readBytes(path) ?? []
        let current = try ConclaveConfig(toml: existing, path: path)
        try Self.write(ConfigDocument.edit(existing, from: current, to: self, path: path), to: path)
    }

    private static func write(_ bytes: [UInt8], to path: String) throws(ConfigError) {
        var info = stat()
        let mode: mode_t = stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0o600
        do {
            try FilePaths.createDirectories(FilePaths.directory(of: path))
            try FilePaths.replaceAtomically(path, mode: mode) { file throws(SystemCallError) in
                let outcome = bytes.withUnsafeBytes { buffer in
                    Result { () throws(SystemCallError) in try file.writeAll(buffer) }
                }
                try outcome.get()
            }
        } catch {
            throw ConfigError(path: path, systemCall: error)
        }
    }
}

/// Reads the known keys of parsed TOML, turning type mismatches into errors that name the key and its position.
private struct ConfigSchema {
    let path: String

    func string(_ table: TOMLTable, _ key: String) throws(ConfigError) -> String? {
        switch table[key] {
        case nil: return nil
        case .string(let value): return value
        case let other?: throw mismatch(table, key, "must be a string, not \(other.typeName)")
        }
    }

    func requiredString(_ table: TOMLTable, _ key: String) throws(ConfigError) -> String {
        guard let value = try string(table, key) else {
            throw ConfigError(path: path, position: table.position, message: "missing `\(key)` in this table")
        }
        return value
    }

    func level(_ table: TOMLTable, _ key: String, required: Bool = false) throws(ConfigError) -> PermissionLevel? {
        guard let text = required ? try requiredString(table, key) : try string(table, key) else { return nil }
        guard let level = PermissionLevel(rawValue: text) else {
            throw mismatch(table, key, "must be one of mute, notify, converse, act, not \"\(text)\"")
        }
        return level
    }

    func tables(_ table: TOMLTable, _ key: String) throws(ConfigError) -> [TOMLTable] {
        guard let value = table[key] else { return [] }
        guard case .array(let elements) = value else {
            throw mismatch(table, key, "must be an array of tables ([[\(key)]]), not \(value.typeName)")
        }
        var tables: [TOMLTable] = []
        for element in elements {
            guard case .table(let entry) = element else {
                throw mismatch(table, key, "must hold only tables, not \(element.typeName)")
            }
            tables.append(entry)
        }
        return tables
    }

    private func mismatch(_ table: TOMLTable, _ key: String, _ message: String) -> ConfigError {
        ConfigError(path: path, position: table.keyPositions[key] ?? table.position, message: "`\(key)` \(message)")
    }
}

/// `config.toml` could not be read, parsed or written.
package struct ConfigError: Error, CustomStringConvertible, Hashable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case invalidContent, ioError
        }

        private let storage: Storage

        private init(_ storage: Storage) { self.storage = storage }

        /// Not valid TOML, or a known key with the wrong type or value (status 65, bad input data).
        package static let invalidContent = Code(.invalidContent)
        /// The file or its directory could not be read or written (status 1).
        package static let ioError = Code(.ioError)

        package var description: String { "\(storage)" }

        /// The value given for this code. Every code is a parameter, so a code added later fails to compile at
        /// every caller instead of falling into a `default:`.
        package func select<Value>(
            invalidContent: Value,
            ioError: Value
        ) -> Value {
            switch storage {
            case .invalidContent: invalidContent
            case .ioError: ioError
            }
        }
    }

    package var code: Code
    package var path: String
    /// Where in the file, for content errors.
    package var position: TOMLPosition?
    package var message: String


    /// A content error at `position`.
    package init(path: String, position: TOMLPosition, message: String) {
        code = .invalidContent
        self.path = path
        self.position = position
        self.message = message
    }

    init(path: String, systemCall error: SystemCallError) {
        code = .ioError
        self.path = path
        position = nil
        message = "\(error.operation) failed: \(error.reason)"
    }

    /// `path:line:column: message`, the form compilers use, so editors can jump to it.
    package var description: String {
        if let position { return "\(path):\(position): \(message)" }
        return "\(path): \(message)"
    }
}
