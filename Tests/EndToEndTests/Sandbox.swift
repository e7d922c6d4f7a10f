#if canImport(Glibc)
import Glibc
#endif

/// A temporary home directory for one test, removed afterwards.
final class Sandbox {
    let home: String

    init() throws {
        let base = getenv("TMPDIR").map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        var template = Array("\(base)/conclave-e2e-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw ToolProcessError(description: "mkdtemp: errno \(errno)")
        }
        home = String(cString: created)
    }

    deinit {
        _ = try? ToolProcess.run("/bin/rm", arguments: ["-rf", home], environment: [:], timeout: 10)
    }

    func path(_ relative: String) -> String { home + "/" + relative }

    /// Writes a key file into `directory` (relative to the home) with `mode`; returns its path.
    @discardableResult
    func writeKey(_ text: String, in directory: String, mode: mode_t = 0o600) throws -> String {
        mkdir(path(directory), 0o700)
        let file = path(directory) + "/key"
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ToolProcessError(description: "open \(file): errno \(errno)") }
        let bytes = Array(text.utf8)
        let written = Glibc.write(fd, bytes, bytes.count)
        close(fd)
        guard written == bytes.count, chmod(file, mode) == 0 else {
            throw ToolProcessError(description: "writing \(file) failed")
        }
        return file
    }

    func mode(_ file: String) throws -> mode_t {
        var info = stat()
        guard stat(file, &info) == 0 else { throw ToolProcessError(description: "stat \(file): errno \(errno)") }
        return info.st_mode & 0o7777
    }

    func read(_ file: String) throws -> [UInt8] { try readWholeFile(file) }

    /// The names in a directory, sorted, without `.` and `..`.
    func entries(_ directory: String) throws -> [String] {
        guard let handle = opendir(directory) else {
            throw ToolProcessError(description: "opendir \(directory): errno \(errno)")
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}

/// The whole content of a (small) file.
func readWholeFile(_ file: String) throws -> [UInt8] {
    let fd = open(file, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw ToolProcessError(description: "open \(file): errno \(errno)") }
    defer { close(fd) }
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while case let count = Glibc.read(fd, &chunk, chunk.count), count > 0 { result += chunk[0..<count] }
    return result
}
