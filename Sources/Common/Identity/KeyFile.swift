#if canImport(Glibc)
internal import Glibc
#endif
import ConclavePOSIX
import ConclaveWire

/// The key file `<dir>/key`: the seed as 43 characters of unpadded base64url, no newline, mode 0600
/// (PROTOCOL.md §8.2). Every tool reads it through `load()`, which refuses a file group or others can read or
/// write, as ssh does (TOOLS.md "Secrets never in argv").
package struct KeyFile: Hashable, Sendable {
    package let path: String

    package init(path: String) { self.path = path }

    package init(directory: ConfigDirectory) { path = directory.keyFilePath }

    /// Longest file accepted: the seed text is 43 characters; generous room for surrounding whitespace.
    static let maximumByteCount = 4096
    /// Characters of seed text.
    static let textByteCount = 43

    /// Reads and checks the seed: a regular file, mode without group/other bits, whitespace trimmed, strict
    /// base64url decoding to exactly 32 bytes.
    package func load() throws(KeyFileError) -> SecretSeed {
        let file: FileDescriptor
        do {
            // O_NONBLOCK: a FIFO planted at the path must not hang the open.
            file = try FileDescriptor.open(path, flags: O_RDONLY | O_NOCTTY | O_NONBLOCK)
        } catch {
            throw KeyFileError(openFailure: error)
        }
        let info: stat
        do { info = try file.status() } catch { throw KeyFileError(systemCall: error) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw KeyFileError(code: .malformed, path: path, detail: "is not a regular file")
        }
        let mode = info.st_mode & 0o7777
        guard mode & 0o077 == 0 else {
            throw KeyFileError(
                code: .insecurePermissions, path: path,
                detail: "is accessible by group or others (mode \(Self.octal(mode))); "
                    + "run: chmod 600 \(FilePaths.shellQuoted(path))")
        }
        let text = SecretBuffer(count: Self.maximumByteCount + 1)
        let length: Int
        do {
            length = try text.withUnsafeMutableBytes { buffer throws(SystemCallError) in try file.read(into: buffer) }
        } catch {
            throw KeyFileError(systemCall: error)
        }
        guard length <= Self.maximumByteCount else {
            throw KeyFileError(code: .malformed, path: path, detail: "is larger than \(Self.maximumByteCount) bytes")
        }
        return try text.withUnsafeBytes { buffer throws(KeyFileError) in
            try decodeSeed(Self.trimmingWhitespace(UnsafeRawBufferPointer(rebasing: buffer[0..<length])))
        }
    }

    /// Writes `seed` to a new key file, creating the directory as needed. The file is created with mode 0600 and
    /// `O_EXCL`, so the key is never in a file with a wider mode and an existing key is never overwritten
    /// (`alreadyExists`).
    package func create(_ seed: SecretSeed) throws(KeyFileError) {
        do {
            try FilePaths.createDirectories(FilePaths.directory(of: path))
        } catch {
            throw KeyFileError(systemCall: error)
        }
        let file: FileDescriptor
        do {
            file = try FileDescriptor.open(path, flags: O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode: 0o600)
        } catch where error.errorNumber == EEXIST {
            throw KeyFileError(
                code: .alreadyExists, path: path, detail: "already exists; use --force to replace it")
        } catch {
            throw KeyFileError(systemCall: error)
        }
        do {
            try Self.writeText(of: seed, to: file)
            try file.synchronize()
        } catch {
            unlink(path)
            throw KeyFileError(systemCall: error)
        }
        FilePaths.synchronizeDirectory(of: path)
    }

    /// Replaces the key file (or creates it) atomically with `seed`: a temporary file of mode 0600 in the same
    /// directory is renamed over it, so a reader never sees a partial key and the key is never exposed.
    package func replace(with seed: SecretSeed) throws(KeyFileError) {
        do {
            try FilePaths.createDirectories(FilePaths.directory(of: path))
            try FilePaths.replaceAtomically(path, mode: 0o600) { file throws(SystemCallError) in
                try Self.writeText(of: seed, to: file)
            }
        } catch {
            throw KeyFileError(systemCall: error)
        }
    }

    private func decodeSeed(_ text: UnsafeRawBufferPointer) throws(KeyFileError) -> SecretSeed {
        guard !text.isEmpty else { throw KeyFileError(code: .malformed, path: path, detail: "is empty") }
        // Shape before decoding: text of the wrong length or alphabet is not a key at all, and saying so is
        // clearer than the decoder's complaint about its last character.
        let notAKey = "is not a key (\(Self.textByteCount) base64url characters expected"
        if let byte = text.first(where: { !Self.isBase64URLByte($0) }) {
            let reason = byte == UInt8(ascii: "=")
                ? "padding is not allowed" : "character outside the base64url alphabet"
            throw KeyFileError(code: .malformed, path: path, detail: "\(notAKey); \(reason))")
        }
        guard text.count == Self.textByteCount else {
            throw KeyFileError(code: .malformed, path: path, detail: "\(notAKey), found \(text.count))")
        }
        let decoded = SecretBuffer(count: text.count * 3 / 4 + 1)
        let count: Int
        do {
            count = try decoded.withUnsafeMutableBytes { output throws(Base64URLError) in
                try Base64URL.decode(utf8: text, into: output, quotedText: "")
            }
        } catch {
            throw KeyFileError(
                code: .malformed, path: path, detail: "is not a base64url Ed25519 seed (\(error.reason))")
        }
        guard count == SecretSeed.byteCount else {
            throw KeyFileError(
                code: .malformed, path: path,
                detail: "decodes to \(count) bytes, expected \(SecretSeed.byteCount) "
                    + "(\(Self.textByteCount) characters of base64url)")
        }
        let seed = SecretBuffer(count: SecretSeed.byteCount)
        seed.withUnsafeMutableBytes { destination in
            decoded.withUnsafeBytes { source in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<SecretSeed.byteCount]))
            }
        }
        return SecretSeed(buffer: seed)
    }

    private static func isBase64URLByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"):
            true
        default:
            false
        }
    }

    private static func writeText(of seed: SecretSeed, to file: FileDescriptor) throws(SystemCallError) {
        let text = SecretBuffer(count: Base64URL.encodedCapacity(SecretSeed.byteCount))
        let length = text.withUnsafeMutableBytes { output in
            seed.buffer.withUnsafeBytes { input in Base64URL.encode(input, into: output) }
        }
        try text.withUnsafeBytes { buffer throws(SystemCallError) in
            try file.writeAll(UnsafeRawBufferPointer(rebasing: buffer[0..<length]))
        }
    }

    /// The bytes without leading and trailing ASCII whitespace (upstream trims before decoding, §8.2).
    private static func trimmingWhitespace(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        func isWhitespace(_ byte: UInt8) -> Bool {
            byte == 0x20 || (0x09...0x0D).contains(byte)
        }
        var start = 0
        var end = bytes.count
        while start < end && isWhitespace(bytes[start]) { start += 1 }
        while end > start && isWhitespace(bytes[end - 1]) { end -= 1 }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// The key file is missing, unsafe, malformed or could not be read or written.
package struct KeyFileError: Error, CustomStringConvertible, Hashable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case missing, insecurePermissions, permissionDenied, malformed, alreadyExists, ioError
        }

        private let storage: Storage

        private init(_ storage: Storage) { self.storage = storage }

        /// No key file (status 66): run `conclave-keygen`.
        package static let missing = Code(.missing)
        /// Group or others may read or write it (status 77).
        package static let insecurePermissions = Code(.insecurePermissions)
        /// It cannot be opened for lack of permission (status 77).
        package static let permissionDenied = Code(.permissionDenied)
        /// Not a regular file holding a valid seed (status 65).
        package static let malformed = Code(.malformed)
        /// Creation found a key already there (status 1).
        package static let alreadyExists = Code(.alreadyExists)
        /// Any other system error (status 1).
        package static let ioError = Code(.ioError)

        package var description: String { "\(storage)" }

        /// The value given for this code. Every code is a parameter, so a code added later fails to compile at
        /// every caller instead of falling into a `default:`.
        package func select<Value>(
            missing: Value,
            insecurePermissions: Value,
            permissionDenied: Value,
            malformed: Value,
            alreadyExists: Value,
            ioError: Value
        ) -> Value {
            switch storage {
            case .missing: missing
            case .insecurePermissions: insecurePermissions
            case .permissionDenied: permissionDenied
            case .malformed: malformed
            case .alreadyExists: alreadyExists
            case .ioError: ioError
            }
        }
    }

    package var code: Code
    package var path: String
    /// The rest of the sentence after the path, e.g. "is empty".
    package var detail: String

    package init(code: Code, path: String, detail: String) {
        self.code = code
        self.path = path
        self.detail = detail
    }

    init(openFailure error: SystemCallError) {
        switch error.errorNumber {
        case ENOENT, ENOTDIR:
            self.init(code: .missing, path: error.path, detail: "does not exist; run conclave-keygen to create it")
        case EACCES, EPERM:
            self.init(code: .permissionDenied, path: error.path, detail: "cannot be read: \(error.reason)")
        default:
            self.init(systemCall: error)
        }
    }

    init(systemCall error: SystemCallError) {
        self.init(code: .ioError, path: error.path, detail: "\(error.operation) failed: \(error.reason)")
    }

    package var description: String { "key file \(path) \(detail)" }
}
