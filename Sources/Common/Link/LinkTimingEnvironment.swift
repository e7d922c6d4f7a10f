/// The test hooks of TOOLS.md "The link": environment variables that shorten the link's clocks so that tests
/// of flapping and backoff run in seconds.
extension LinkTiming {
    /// `CONCLAVE_STABILITY_MS`: the stability window (§7.4, §7.6).
    package static let stabilityVariable = "CONCLAVE_STABILITY_MS"
    /// `CONCLAVE_BACKOFF_BASE_MS`: the first reconnect delay.
    package static let backoffBaseVariable = "CONCLAVE_BACKOFF_BASE_MS"
    /// `CONCLAVE_BACKOFF_CAP_MS`: the longest reconnect delay.
    package static let backoffCapVariable = "CONCLAVE_BACKOFF_CAP_MS"
    /// `CONCLAVE_FLAP_THRESHOLD`: short-lived links in a row that trip the flapping breaker.
    package static let flapThresholdVariable = "CONCLAVE_FLAP_THRESHOLD"

    /// The largest value a hook accepts: one day in milliseconds.
    package static let largestHookValue = 86_400_000

    /// The defaults with the test hooks found in `environment` applied; an empty variable counts as unset.
    package static func fromEnvironment(_ environment: [String: String]) throws(LinkTimingError) -> LinkTiming {
        var timing = LinkTiming()
        func read(_ name: String, minimum: Int) throws(LinkTimingError) -> Int? {
            guard let text = environment[name], !text.isEmpty else { return nil }
            guard text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
                  let value = Int(text), value >= minimum, value <= largestHookValue else {
                throw LinkTimingError(.invalidNumber, variable: name, value: text, minimum: minimum)
            }
            return value
        }
        if let value = try read(stabilityVariable, minimum: 0) { timing.stabilityWindowMs = value }
        if let value = try read(backoffBaseVariable, minimum: 1) { timing.backoffBaseMs = value }
        if let value = try read(backoffCapVariable, minimum: 1) { timing.backoffCapMs = value }
        if let value = try read(flapThresholdVariable, minimum: 1) { timing.flapThreshold = value }
        guard timing.backoffCapMs >= timing.backoffBaseMs else {
            throw LinkTimingError(
                .capBelowBase, variable: backoffCapVariable, value: String(timing.backoffCapMs),
                minimum: timing.backoffBaseMs)
        }
        return timing
    }
}

/// A link test-hook variable that cannot be used.
package struct LinkTimingError: Error, CustomStringConvertible, Hashable {
    package struct Code: Hashable, Sendable {
        private let rawValue: Int
        private init(rawValue: Int) { self.rawValue = rawValue }
        /// Not a whole number in the accepted range.
        package static let invalidNumber = Code(rawValue: 1)
        /// `CONCLAVE_BACKOFF_CAP_MS` below the base delay.
        package static let capBelowBase = Code(rawValue: 2)
    }

    package var code: Code
    /// The variable, e.g. `CONCLAVE_BACKOFF_BASE_MS`.
    package var variable: String
    package var value: String
    /// The smallest value accepted.
    package var minimum: Int

    package init(_ code: Code, variable: String, value: String, minimum: Int) {
        self.code = code
        self.variable = variable
        self.value = value
        self.minimum = minimum
    }

    package var description: String {
        switch code {
        case .capBelowBase:
            "invalid \(variable)=\(value): below the backoff base of \(minimum) ms"
        default:
            "invalid \(variable)=\"\(value)\": expected a whole number from \(minimum) to "
                + "\(LinkTiming.largestHookValue)"
        }
    }
}
