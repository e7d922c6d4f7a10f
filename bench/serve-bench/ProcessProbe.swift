import Glibc

/// Reads a broker process's memory and CPU time from /proc.
struct ProcessProbe {
    let pid: Int32

    /// Resident set size now (`VmRSS`), in KiB.
    var residentKiB: Int { statusField("VmRSS:") }

    /// The largest resident set size so far (`VmHWM`), in KiB.
    var peakResidentKiB: Int { statusField("VmHWM:") }

    /// User + system CPU time in seconds (/proc/PID/stat fields 14 and 15), all threads included.
    var cpuSeconds: Double {
        let text = ProcessProbe.contents(of: "/proc/\(pid)/stat")
        // Fields after the parenthesised command name, which may itself hold spaces.
        guard let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// This process's own user + system CPU time in seconds: the load generator's share of the machine.
    static var ownCPUSeconds: Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    private func statusField(_ name: String) -> Int {
        let text = ProcessProbe.contents(of: "/proc/\(pid)/status")
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
