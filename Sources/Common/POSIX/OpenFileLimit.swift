internal import Glibc

/// The process's limit on open descriptors (`RLIMIT_NOFILE`).
package enum OpenFileLimit {
    /// Raises the soft limit to the hard limit (a server needs one descriptor per connection, and the usual soft
    /// default of 1024 is far below what the hard limit allows) and returns the limit in force afterwards.
    package static func raiseToHardLimit() -> Int {
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        var limits = rlimit()
        guard getrlimit(resource, &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(resource, &raised) == 0 { limits = raised }
        }
        return Int(clamping: limits.rlim_cur)
    }
}
