#if canImport(Glibc)
import Glibc
#endif

/// A temporary directory for one test (a home, a server's state, certificates), removed with everything in it
/// when the value is released.
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
        try writeFile(file, text, mode: mode)
        return file
    }

    /// Creates `file` (an absolute path; it must not exist yet) holding `text`, with `mode`.
    func writeFile(_ file: String, _ text: String, mode: mode_t) throws {
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ToolProcessError(description: "open \(file): errno \(errno)") }
        let bytes = Array(text.utf8)
        let written = Glibc.write(fd, bytes, bytes.count)
        close(fd)
        guard written == bytes.count, chmod(file, mode) == 0 else {
            throw ToolProcessError(description: "writing \(file) failed")
        }
    }

    /// Makes a self-signed P-256 certificate for 127.0.0.1 and localhost with `openssl req`, valid two days:
    /// the paths of `cert.pem` and `key.pem` in this directory.
    func makeSelfSignedCertificate(subject: String) throws -> (certificate: String, key: String) {
        let certificate = path("cert.pem"), key = path("key.pem")
        let outcome = try ToolProcess.run(
            "/usr/bin/openssl",
            arguments: [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", "/CN=\(subject)", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", key, "-out", certificate,
            ],
            environment: ToolProcess.environment(home: home), timeout: 30)
        guard outcome.status == 0 else {
            throw ToolProcessError(description: "openssl req: \(outcome.termination): \(outcome.stderrText)")
        }
        return (certificate, key)
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
