import ConclaveCLI
import ConclaveLink
import ConclaveWire

/// The exit-status policy of the client tools (TOOLS.md "Exit status", "Bad input", "conclave-send"): what
/// went wrong during a run, and the one status it ends with.
///
/// When several apply: a fatal end of the link (77 refused, 76, 69, 75) is the status; then unanswered requests
/// (69 if the link never came up, else 75); then bad input (65) over `unauthorized` replies and `--agent`
/// refusals (77) over other refused requests (1).
package struct OutcomeTally: Hashable, Sendable {
    package private(set) var sawBadInput = false
    package private(set) var sawUnauthorized = false
    package private(set) var sawRefusal = false

    package init() {}

    /// An input line that was not sent.
    package mutating func recordBadInput() { sawBadInput = true }

    /// A request refused, by the server (`error`) or by local policy (`--agent`, as `unauthorized`).
    package mutating func recordRefusal(_ error: ProtocolError) {
        if case .unauthorized = error { sawUnauthorized = true } else { sawRefusal = true }
    }

    /// The error a reply carries, if it is a refusal; `.failed` replies (no reply will come) are not refusals,
    /// they count as unanswered.
    package static func refusal(in reply: LinkReply) -> ProtocolError? {
        if case let .frame(.error(error)) = reply { return error }
        return nil
    }

    /// The status of a run whose source ended with `end`. `unanswered` requests had no reply when the link was
    /// shut down; `hasBeenUp` says whether the link (or the attachment) ever came up.
    package func status(end: LinkEnd, unanswered: Int, hasBeenUp: Bool) -> ExitStatus {
        if end.code != .shutdown { return end.exitStatus }
        if unanswered > 0 { return hasBeenUp ? .linkLost : .unavailable }
        return sawBadInput ? .dataError : sawUnauthorized ? .refused : sawRefusal ? .failure : .success
    }
}
