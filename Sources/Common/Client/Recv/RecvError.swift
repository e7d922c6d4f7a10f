import ConclaveCLI

/// A failure of `conclave-recv` itself or of its command line, as opposed to the link's.
package struct RecvError: ToolError, Hashable, Sendable {
    package struct Code: Hashable, Sendable {
        package let rawValue: String
        /// A flag value that cannot be used (status 64).
        package static let usage = Code(rawValue: "usage")
        /// A channel could not be joined or read (status 1).
        package static let refusedRequest = Code(rawValue: "refused request")
        /// The server answered `unauthorized` (status 77).
        package static let unauthorized = Code(rawValue: "unauthorized")
        /// `-i FILE` could not be opened, or the event loop failed (status 1; 66 for a missing file).
        package static let input = Code(rawValue: "input")
        package static let system = Code(rawValue: "system")
        /// A `--cursor` FILE that is not one (status 65).
        package static let dataError = Code(rawValue: "data error")
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var exitStatus: ExitStatus {
        switch code {
        case .usage: .usage
        case .unauthorized: .refused
        case .input: .noInput
        case .dataError: .dataError
        default: .failure
        }
    }

    package var description: String { message }
}
