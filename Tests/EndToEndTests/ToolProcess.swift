#if canImport(Glibc)
import Glibc
#endif
import ConclavePOSIX
@testable import ConclavePOSIX

/// A point in monotonic time after which a test stops waiting.
struct Deadline: Sendable {
    private let instant: MonotonicInstant

    /// `seconds` from now.
    static func after(seconds: Double) -> Deadline {
        Deadline(instant: .after(milliseconds: Int(seconds * 1000)))
    }

    var hasPassed: Bool { instant.hasPassed }

    /// Milliseconds left, for `poll`: 0 once passed.
    var remainingMilliseconds: Int32 { instant.millisecondsFromNow }
}

/// How a child process ended.
enum Termination: Hashable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signaled(Int32)

    var description: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "signal \(signal)"
        }
    }
}

/// Everything a finished child process produced.
struct ToolOutcome: Sendable {
    var termination: Termination
    var stdout: [UInt8]
    var stderr: [UInt8]
    /// The deadline passed and the process was killed.
    var timedOut: Bool

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    /// stdout split into lines, without terminators (a last line without `\n` included).
    var stdoutLines: [String] {
        stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).filter { !$0.isEmpty }
    }
    /// The exit status, or nil when the process died of a signal.
    var status: Int32? {
        if case .exited(let status) = termination { return status }
        return nil
    }
}

/// An error of the harness itself (not of the tool under test).
struct ToolProcessError: Error, CustomStringConvertible {
    var description: String
}

/// A child process started with `posix_spawn`, its stdin, stdout and stderr on pipes (or stderr to a file, for a
/// chatty long-running server nobody reads), in its own process group (so a `sh -c` pipeline is killed as a
/// whole), with signal dispositions and mask reset to the defaults (the test process may block or ignore signals
/// for a `SignalSource`). Every wait is bounded by a deadline; a process still running when its deadline passes,
/// or when the value is released, is killed with SIGKILL and reaped.
final class ToolProcess {
    enum Stream {
        case stdout
        case stderr
    }

    let pid: pid_t
    private var stdinFD: Int32
    private var stdoutFD: Int32
    private var stderrFD: Int32
    private var stdoutBuffer: [UInt8] = []
    private var stderrBuffer: [UInt8] = []
    private var termination: Termination?

    /// Pipe creation and spawning happen under one lock so that no child spawned by a concurrent test inherits
    /// another test's pipe ends (which would hold that pipe open and delay its end of file). It counts the spawns
    /// because ThreadSanitizer reports accesses to a lock's empty (`Void`) value as races.
    private static let spawnLock = ProcessWideLock(0)

    /// Starts `executable` (a path) with `arguments` (without argv[0]) and exactly `environment`; stderr goes to
    /// `stderrFile` (created or truncated, mode 0600) when one is given.
    init(
        _ executable: String, arguments: [String] = [], environment: [String: String],
        workingDirectory: String? = nil, stderrFile: String? = nil
    ) throws {
        // A write to the stdin of a child that has exited must be an EPIPE error here, not a fatal signal.
        BrokenPipe.ignore()
        let argv = ([executable] + arguments).map { strdup($0) }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") }
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let spawned: (pid_t, Int32, Int32, Int32) = try Self.spawnLock.withLock { spawns in
            spawns += 1
            let input = try Self.makePipe()
            let output = try Self.makePipe()
            // With a file for stderr there is no pipe for it: (-1, -1).
            let errors = stderrFile == nil ? try Self.makePipe() : (read: Int32(-1), write: Int32(-1))
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_adddup2(&actions, input.read, 0)
            posix_spawn_file_actions_adddup2(&actions, output.write, 1)
            if let stderrFile {
                posix_spawn_file_actions_addopen(&actions, 2, stderrFile, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            } else {
                posix_spawn_file_actions_adddup2(&actions, errors.write, 2)
            }
            if let workingDirectory {
                guard let addChangeDirectory = Self.addChangeDirectory,
                      addChangeDirectory(&actions, workingDirectory) == 0
                else {
                    throw ToolProcessError(description: "posix_spawn_file_actions_addchdir_np failed")
                }
            }
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            posix_spawnattr_setflags(
                &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
            posix_spawnattr_setpgroup(&attributes, 0)
            var defaults = sigset_t()
            sigemptyset(&defaults)
            for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2, SIGALRM] {
                sigaddset(&defaults, signal)
            }
            posix_spawnattr_setsigdefault(&attributes, &defaults)
            var mask = sigset_t()
            sigemptyset(&mask)
            posix_spawnattr_setsigmask(&attributes, &mask)
            var pid: pid_t = 0
            let result = posix_spawn(&pid, executable, &actions, &attributes, argv + [nil], envp + [nil])
            close(input.read)
            close(output.write)
            if errors.write >= 0 { close(errors.write) }
            guard result == 0 else {
                close(input.write)
                close(output.read)
                if errors.read >= 0 { close(errors.read) }
                throw ToolProcessError(description: "posix_spawn \(executable): \(String(cString: strerror(result)))")
            }
            return (pid, input.write, output.read, errors.read)
        }
        (pid, stdinFD, stdoutFD, stderrFD) = spawned
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        }
    }

    deinit {
        if termination == nil {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        for fd in [stdinFD, stdoutFD, stderrFD] where fd >= 0 { close(fd) }
    }

    /// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which the Glibc module does not export (it is
    /// declared only with `_GNU_SOURCE`), looked up at run time (a null handle is `RTLD_DEFAULT`).
    private static let addChangeDirectory: (@convention(c) (
        UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
    ) -> Int32)? = {
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (
            UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>
        ) -> Int32).self)
    }()

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw ToolProcessError(description: "pipe: errno \(errno)") }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return (fds[0], fds[1])
    }

    // MARK: Interaction

    /// Writes all of `bytes` to the child's stdin, waiting (until `deadline`) while the pipe is full.
    func write(_ bytes: [UInt8], deadline: Deadline = .after(seconds: 5)) throws {
        var offset = 0
        while offset < bytes.count {
            guard stdinFD >= 0 else { throw ToolProcessError(description: "stdin is closed") }
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
            if count > 0 {
                offset += count
            } else if errno == EAGAIN || errno == EINTR {
                guard !deadline.hasPassed else { throw ToolProcessError(description: "stdin write timed out") }
                var waiting = pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)
                _ = poll(&waiting, 1, deadline.remainingMilliseconds)
            } else {
                throw ToolProcessError(description: "stdin write: errno \(errno)")
            }
        }
    }

    func write(_ text: String, deadline: Deadline = .after(seconds: 5)) throws {
        try write(Array(text.utf8), deadline: deadline)
    }

    /// Closes the child's stdin (end of file for it).
    func closeStdin() {
        if stdinFD >= 0 { close(stdinFD) }
        stdinFD = -1
    }

    /// The next line (without `\n`) of stdout or stderr; nil at end of file or when the deadline passes first.
    func readLine(from stream: Stream = .stdout, deadline: Deadline) -> String? {
        while true {
            let buffer = stream == .stdout ? stdoutBuffer : stderrBuffer
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                if stream == .stdout {
                    stdoutBuffer.removeFirst(newline + 1)
                } else {
                    stderrBuffer.removeFirst(newline + 1)
                }
                return line
            }
            let fd = stream == .stdout ? stdoutFD : stderrFD
            guard fd >= 0, !deadline.hasPassed else { return nil }
            var waiting = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            _ = poll(&waiting, 1, deadline.remainingMilliseconds)
            drain(stream)
        }
    }

    /// Sends `signal` to the child's whole process group.
    func send(_ signal: Int32) {
        guard termination == nil else { return }
        kill(-pid, signal)
    }

    /// Whether the child has ended; if so it is reaped (with the rest of its group killed).
    var hasExited: Bool {
        if termination != nil { return true }
        var info = siginfo_t()
        guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0,
              info._sifields._sigchld.si_pid == pid
        else { return false }
        var timedOut = false
        _ = reap(deadline: .after(seconds: 0), timedOut: &timedOut)
        return true
    }

    /// Writes `input` to stdin while collecting stdout and stderr (so neither side can block the other), closes
    /// stdin, collects until the child exits, and reaps it. If `deadline` passes first, the process group is
    /// killed and the outcome says `timedOut`.
    func finish(input: [UInt8] = [], deadline: Deadline) -> ToolOutcome {
        var pending = input[...]
        if pending.isEmpty { closeStdin() }
        var timedOut = false
        while stdoutFD >= 0 || stderrFD >= 0 || (stdinFD >= 0 && !pending.isEmpty) {
            if deadline.hasPassed {
                timedOut = true
                break
            }
            var fds = [stdoutFD, stderrFD].filter { $0 >= 0 }.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            if stdinFD >= 0 && !pending.isEmpty { fds.append(pollfd(fd: stdinFD, events: Int16(POLLOUT), revents: 0)) }
            _ = poll(&fds, nfds_t(fds.count), min(deadline.remainingMilliseconds, 100))
            if stdinFD >= 0 && !pending.isEmpty {
                let count = pending.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress, $0.count) }
                if count > 0 {
                    pending = pending.dropFirst(count)
                } else if count < 0 && errno != EAGAIN && errno != EINTR {
                    pending = []  // The child closed its stdin (EPIPE): the rest cannot be delivered.
                }
                if pending.isEmpty { closeStdin() }
            }
            drain(.stdout)
            drain(.stderr)
        }
        closeStdin()
        let termination = reap(deadline: timedOut ? .after(seconds: 0) : deadline, timedOut: &timedOut)
        drain(.stdout)
        drain(.stderr)
        return ToolOutcome(termination: termination, stdout: stdoutBuffer, stderr: stderrBuffer, timedOut: timedOut)
    }

    /// Reads whatever is available now; closes the descriptor at end of file.
    private func drain(_ stream: Stream) {
        let fd = stream == .stdout ? stdoutFD : stderrFD
        guard fd >= 0 else { return }
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count > 0 {
                if stream == .stdout {
                    stdoutBuffer += chunk[0..<count]
                } else {
                    stderrBuffer += chunk[0..<count]
                }
                continue
            }
            if count < 0 && errno == EINTR { continue }
            if count == 0 || errno != EAGAIN {
                close(fd)
                if stream == .stdout { stdoutFD = -1 } else { stderrFD = -1 }
            }
            return
        }
    }

    /// Waits for the child until `deadline`, then kills the group and waits for good.
    private func reap(deadline: Deadline, timedOut: inout Bool) -> Termination {
        if let termination { return termination }
        while true {
            // WNOWAIT leaves the child a zombie, so its process group id cannot be reused while the rest of the
            // group (children of a shell) is killed below.
            var info = siginfo_t()
            let result = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
            if result == 0 && info._sifields._sigchld.si_pid == pid { break }
            if result < 0 && errno != EINTR { break }
            if deadline.hasPassed {
                timedOut = true
                break
            }
            usleep(2_000)
        }
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let low = status & 0x7F
        let ending: Termination = low == 0 ? .exited((status >> 8) & 0xFF) : .signaled(low)
        termination = ending
        return ending
    }

    // MARK: Convenience

    /// Runs `executable` to completion: writes `stdin`, closes it, collects everything within `timeout` seconds.
    static func run(
        _ executable: String, arguments: [String] = [], environment: [String: String], stdin: String = "",
        workingDirectory: String? = nil, timeout: Double = 10
    ) throws -> ToolOutcome {
        let deadline = Deadline.after(seconds: timeout)
        let process = try ToolProcess(
            executable, arguments: arguments, environment: environment, workingDirectory: workingDirectory)
        return process.finish(input: Array(stdin.utf8), deadline: deadline)
    }

    /// The directory of the built tools: `$CONCLAVE_BIN_DIR`, else the directory of this test binary (where
    /// `swift build` puts every product).
    static var binaryDirectory: String {
        if let value = getenv("CONCLAVE_BIN_DIR"), value.pointee != 0 { return String(cString: value) }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let path = String(decoding: buffer.prefix(max(0, length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }

    /// The path of the built tool `name`, e.g. `conclave-keygen`.
    static func binary(_ name: String) -> String { binaryDirectory + "/" + name }

    /// This process's environment without anything that steers the tools (`CONCLAVE_*`, `XDG_*`), with `HOME`
    /// pointing at `home` and `overrides` applied, so a test sees exactly the configuration it sets up.
    static func environment(home: String, _ overrides: [String: String] = [:]) -> [String: String] {
        var result = ProcessEnvironment.current().filter { !$0.key.hasPrefix("CONCLAVE_") && !$0.key.hasPrefix("XDG_") }
        result["HOME"] = home
        result.merge(overrides) { _, new in new }
        return result
    }
}
