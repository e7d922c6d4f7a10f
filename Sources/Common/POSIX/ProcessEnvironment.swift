#if canImport(Glibc)
internal import Glibc
#endif

/// The process environment as a dictionary, read once at startup and passed down, so that every decision that
/// depends on it (config directory, URL, socket) is a function of its inputs and can be unit-tested.
package enum ProcessEnvironment {
    /// The current `environ`; an entry without `=` is skipped, the first of duplicate names wins (as `getenv`).
    package static func current() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            entry += 1
            // Split on the byte: searching the String for "=" walked grapheme clusters, which doubled the cost of
            // this function, a tenth of a one-shot post's instructions.
            guard let equals = strchr(pointer, Int32(UInt8(ascii: "="))) else { continue }
            let name = String(decoding: UnsafeRawBufferPointer(start: pointer, count: equals - pointer), as: UTF8.self)
            if result[name] == nil { result[name] = String(cString: equals + 1) }
        }
        return result
    }
}
