#if canImport(Glibc)
import Glibc
#endif

/// The process and file chores of ``TemporaryPostgres``: finding the PostgreSQL programs, running them (as the
/// `postgres` user under root), a free port, the folder.
enum PostgresFixtureProcess {
    /// The directory holding `initdb` and `pg_ctl`: from `PATH`, else the newest `/usr/lib/postgresql/*/bin`.
    static func binDirectory() throws -> String {
        let path = getenv("PATH").map { String(cString: $0) } ?? ""
        for directory in path.split(separator: ":").map(String.init) where isExecutable(directory + "/initdb") {
            if isExecutable(directory + "/pg_ctl") { return directory }
        }
        let versions = entries(of: "/usr/lib/postgresql").compactMap(Int.init).sorted()
        for version in versions.reversed() where isExecutable("/usr/lib/postgresql/\(version)/bin/initdb") {
            return "/usr/lib/postgresql/\(version)/bin"
        }
        throw PostgresFixtureError("initdb is neither in PATH nor in /usr/lib/postgresql/*/bin")
    }

    /// A fresh folder under /tmp (short, so the socket path fits, and reachable by the `postgres` user) with a
    /// `socket` directory, owned by `postgres` when running as root.
    static func makeFolder() throws -> String {
        var template = Array("/tmp/conclave-pg-XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw PostgresFixtureError("mkdtemp failed: errno \(errno)")
        }
        let folder = String(cString: created)
        guard mkdir(folder + "/socket", 0o700) == 0 else {
            remove(folder)
            throw PostgresFixtureError("mkdir \(folder)/socket failed: errno \(errno)")
        }
        if geteuid() == 0 {
            guard let user = getpwnam("postgres") else {
                remove(folder)
                throw PostgresFixtureError("running as root, and there is no `postgres` user to run PostgreSQL as")
            }
            for path in [folder, folder + "/socket"] {
                guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                    remove(folder)
                    throw PostgresFixtureError("chown \(path) failed: errno \(errno)")
                }
            }
        }
        return folder
    }

    /// Runs `executable` to its end with stdin from /dev/null and stdout and stderr appended to `log`; returns its
    /// exit status (128 + signal when killed). Under root it runs as `postgres` through `runuser`.
    static func run(_ executable: String, _ arguments: [String], log: String) throws -> Int32 {
        let pid = try spawn(executable, arguments, log: log)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw PostgresFixtureError("waitpid failed: errno \(errno)") }
        }
        // WIFEXITED / WEXITSTATUS are macros Swift cannot import.
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + status & 0x7f
    }

    /// Starts a process that outlives this one if need be: once the test process is gone (a crash, a kill), it
    /// stops the server in `folder` and removes the folder, which `atexit` and `deinit` cannot do then.
    static func startWatchdog(folder: String, binDirectory: String) throws {
        // Deaf to the signals that end the test run (a ^C reaches the whole process group). It runs as this
        // process's user, not through runuser, which would pass a SIGTERM on as a SIGKILL; only pg_ctl does.
        let script = "trap '' INT TERM HUP; pid=$1 folder=$2; shift 2; while [ -d /proc/$pid ]; do sleep 1; done; "
            + "\"$@\" -D \"$folder/data\" -m immediate -w stop; rm -rf \"$folder\""
        _ = try spawn(
            "/bin/sh", ["-c", script, "postgres-watchdog", String(getpid()), folder]
                + serverUserCommand(binDirectory + "/pg_ctl"),
            log: "/dev/null", asServerUser: false)
    }

    /// `executable` run as the server's user: through runuser under root.
    private static func serverUserCommand(_ executable: String) throws -> [String] {
        guard geteuid() == 0 else { return [executable] }
        let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"].first(where: isExecutable)
        guard let runuser else { throw PostgresFixtureError("running as root, and runuser is missing") }
        return [runuser, "-u", "postgres", "--", executable]
    }

    /// Spawns `executable` as `run` describes and returns its pid.
    private static func spawn(
        _ executable: String, _ arguments: [String], log: String, asServerUser: Bool = true
    ) throws -> pid_t {
        let command = (asServerUser ? try serverUserCommand(executable) : [executable]) + arguments
        let argv = command.map { strdup($0) }
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The test process may block or ignore signals; the server must start with the defaults.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command[0], &actions, &attributes, argv + [nil], environ)
        guard result == 0 else {
            throw PostgresFixtureError("posix_spawn \(command[0]): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// A loopback TCP port that was free a moment ago.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PostgresFixtureError("socket failed: errno \(errno)") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw PostgresFixtureError("bind to a loopback port failed: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// The last lines of a log, for an error message.
    static func tail(_ path: String) -> String {
        guard let file = fopen(path, "r") else { return "(no \(path))" }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            guard count > 0 else { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes.suffix(2_000), as: UTF8.self)
    }

    /// Removes `path` and everything below it.
    static func remove(_ path: String) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFDIR else {
            unlink(path)
            return
        }
        for name in entries(of: path) { remove(path + "/" + name) }
        rmdir(path)
    }

    private static func isExecutable(_ path: String) -> Bool {
        access(path, X_OK) == 0
    }

    /// The names in a directory, without `.` and `..`; empty when it cannot be read.
    private static func entries(of directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
