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
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") {
                let name = String(text[..<equals])
                if result[name] == nil { result[name] = String(text[text.index(after: equals)...]) }
            }
            entry += 1
        }
        return result
    }
}
