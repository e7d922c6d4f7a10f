import Glibc

/// Reads the broker's memory and CPU time from /proc: one process, or the instances of a deployment, summed.
struct ProcessProbe {
    let pids: [Int32]

    init(pids: [Int32]) {
        precondition(!pids.isEmpty, "a probe needs at least one process")
        self.pids = pids
    }

    /// Resident set size now (`VmRSS`), in KiB.
    var residentKiB: Int { pids.reduce(0) { $0 + ProcessProbe.statusField("VmRSS:", of: $1) } }

    /// The largest resident set size so far (`VmHWM`), in KiB: of several processes, the sum of each one's own
    /// peak, which may exceed the largest sum they reached at one moment.
    var peakResidentKiB: Int { pids.reduce(0) { $0 + ProcessProbe.statusField("VmHWM:", of: $1) } }

    /// User + system CPU time in seconds (/proc/PID/stat fields 14 and 15), all threads included.
    var cpuSeconds: Double { pids.reduce(0) { $0 + ProcessProbe.cpuSeconds(of: $1) } }

    /// This process's own user + system CPU time in seconds: the load generator's share of the machine.
    static var ownCPUSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private static func cpuSeconds(of pid: Int32) -> Double {
        let text = contents(of: "/proc/\(pid)/stat")
        // Fields after the parenthesised command name, which may itself hold spaces.
        guard let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    private static func statusField(_ name: String, of pid: Int32) -> Int {
        let text = contents(of: "/proc/\(pid)/status")
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name) }) else { return 0 }
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    private static func contents(of path: String) -> String {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: 8192)
        let count = read(fd, &buffer, buffer.count)
        return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
    }
}
