import ConclaveWire

/// The WHEN of `--since` (TOOLS.md "conclave-recv"): a duration back from now, `N[smhdw]` (a bare `N` is
/// seconds, as upstream), or an absolute time, `@EPOCH_MS` or RFC 3339.
package enum SinceTime: Hashable, Sendable {
    case ago(milliseconds: Int64)
    case absolute(epochMs: Int64)

    /// Parses WHEN; nil when it is none of the three forms.
    package init?(parsing text: String) {
        if text.hasPrefix("@") {
            guard let epochMs = Int64(text.dropFirst()), epochMs >= 0 else { return nil }
            self = .absolute(epochMs: epochMs)
            return
        }
        if let epochMs = RFC3339.parse(text) {
            self = .absolute(epochMs: epochMs)
            return
        }
        let units: [Character: Int64] = ["s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000]
        var digits = Substring(text)
        var unit: Int64 = 1_000
        if let last = text.last, let scale = units[last] {
            unit = scale
            digits = digits.dropLast()
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), let count = Int64(digits), count >= 0 else { return nil }
        let (milliseconds, overflow) = count.multipliedReportingOverflow(by: unit)
        guard !overflow else { return nil }
        self = .ago(milliseconds: milliseconds)
    }

    /// The watermark of the first `read_since`: history rows strictly after it are replayed.
    package func epochMilliseconds(now: Int64) -> Int64 {
        switch self {
        case let .ago(milliseconds): now - milliseconds
        case let .absolute(epochMs): epochMs
        }
    }
}
