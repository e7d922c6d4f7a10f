internal import Glibc

/// The machine's memory, for defaults that scale with it.
package enum PhysicalMemory {
    /// Bytes of physical memory; 1 GiB when the system does not say.
    package static var bytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES))
        let pageSize = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, pageSize > 0 else { return 1 << 30 }
        let (product, overflow) = pages.multipliedReportingOverflow(by: pageSize)
        return overflow ? .max : product
    }
}
