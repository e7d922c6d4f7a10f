internal import Glibc
import ConclavePOSIX

/// A small poll(2) wait for single-threaded clients: a link's socket, stdin, perhaps a second link.
package enum Poller {
    /// One descriptor to watch and, after `wait`, what it is ready for.
    package struct Entry: Hashable, Sendable {
        package var fileDescriptor: Int32
        package var interest: IOInterest
        /// Set by `wait`: readable/writable as asked, and also readable on hang-up or error, so that the
        /// next read reports what happened.
        package var ready: IOInterest = []

        package init(fileDescriptor: Int32, interest: IOInterest) {
            self.fileDescriptor = fileDescriptor
            self.interest = interest
        }
    }

    /// Waits until one entry is ready or `timeoutMilliseconds` pass (-1: no limit). Returns how many entries
    /// are ready; 0 on timeout or when a signal interrupted the wait (the caller re-checks its flags and loops).
    @discardableResult
    package static func wait(_ entries: inout [Entry], timeoutMilliseconds: Int32) throws(TransportError) -> Int {
        var fds = entries.map { entry in
            var events: Int16 = 0
            if entry.interest.contains(.readable) { events |= Int16(POLLIN) }
            if entry.interest.contains(.writable) { events |= Int16(POLLOUT) }
            return pollfd(fd: entry.fileDescriptor, events: events, revents: 0)
        }
        let count = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if count < 0 {
            if errno == EINTR { return 0 }
            throw TransportError(.io, "poll failed: \(TransportError.errnoText(errno))")
        }
        var readyCount = 0
        for index in entries.indices {
            let revents = fds[index].revents
            var ready: IOInterest = []
            if revents & Int16(POLLIN | POLLHUP | POLLERR | POLLNVAL) != 0 { ready.insert(.readable) }
            if revents & Int16(POLLOUT) != 0 { ready.insert(.writable) }
            if revents & Int16(POLLERR | POLLHUP) != 0, entries[index].interest.contains(.writable) {
                ready.insert(.writable)
            }
            entries[index].ready = ready.intersection(entries[index].interest)
            if !entries[index].ready.isEmpty { readyCount += 1 }
        }
        return readyCount
    }

    /// Waits for one descriptor until `deadline`; false if the deadline passed first.
    static func waitFor(
        _ fd: Int32, _ interest: IOInterest, deadline: MonotonicInstant
    ) throws(TransportError) -> Bool {
        var entries = [Entry(fileDescriptor: fd, interest: interest)]
        while true {
            let timeout = deadline.millisecondsFromNow
            if try wait(&entries, timeoutMilliseconds: timeout) > 0 { return true }
            if timeout == 0 || deadline.hasPassed { return false }
        }
    }
}
