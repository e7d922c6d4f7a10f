import ConclaveWire

/// The vocabulary of the reconnecting link (TOOLS.md "The link", PROTOCOL.md §7.3–7.6), shared by the
/// link engine and the tools that drive it (`conclave-connect`, and `conclave-send`/`conclave-recv`
/// when they make a link of their own).
///
/// The engine is `Link` (Link.swift): a final class driven by the tool's `EventLoop`:
/// ```
/// let link = Link(configuration: configuration, loop: loop) { event in … }
/// link.start()                              // dials; events arrive on the loop
/// let tag = link.submit(.join(channel: "ops", token: nil))   // queued while down
/// link.shutdown()                           // WebSocket close, no reconnect; ends with `.ended`
/// ```

/// Identifies one submitted request; its one reply carries the same tag.
package struct RequestTag: Hashable, Sendable, CustomStringConvertible {
    package let rawValue: UInt64
    package init(rawValue: UInt64) { self.rawValue = rawValue }
    package var description: String { "#\(rawValue)" }
}

/// How the session handle was chosen (§7.6): an explicit one is never renamed; a defaulted one gains
/// `-2`, `-3`, … when the flapping breaker trips.
package enum SessionHandle: Hashable, Sendable {
    case explicit(String)
    case defaulted(base: String)
}

/// First-time registration (§5.4) run by the first handshake instead of plain authentication.
package struct LinkRegistration: Hashable, Sendable {
    package var username: String
    package var machine: String
    package init(username: String, machine: String) {
        self.username = username
        self.machine = machine
    }
}

/// The link's clocks, all in milliseconds. Defaults are PROTOCOL.md §0 and TOOLS.md.
package struct LinkTiming: Hashable, Sendable {
    package var dialTimeoutMs = 10_000
    package var handshakeTimeoutMs = 15_000
    package var pingIntervalMs = 20_000
    package var pongTimeoutMs = 10_000
    package var backoffBaseMs = 200
    package var backoffCapMs = 30_000
    package var stabilityWindowMs = 30_000
    package var flapThreshold = 3
    package init() {}
}

/// What the link reports to the tool, on the event loop's thread.
package enum LinkEvent: Sendable {
    /// Authenticated (and channels re-joined, queued requests sent). `admin` is nil when the server sent
    /// no `server_info`; `serverID` nil when the upgrade had no `x-conclave-server-id`.
    case up(path: SessionPath, serverID: String?, admin: Bool?)
    case down(reason: String)
    /// The next dial happens after `delayMs`; `attempt` counts failed dials in a row, from 1.
    case retry(attempt: Int, delayMs: Int)
    /// The one reply to a submitted request.
    case reply(RequestTag, LinkReply)
    /// A `channel_msg` or `whisper` from another session (or a self-whisper).
    case delivery(ProtocolMessage)
    /// A channel held as joined could not be re-joined after a reconnect and is forgotten.
    case rejoinFailed(channel: String, error: ProtocolError)
    /// One line for the user's stderr (breaker trips, renames, same-server detection).
    case warning(String)
    /// The link stopped for good; no event follows.
    case ended(LinkEnd)
}

/// The outcome of one request.
package enum LinkReply: Hashable, Sendable {
    /// The server's reply frame (which may be an `error`).
    case frame(ProtocolMessage)
    /// No reply will come: the link dropped (a whisper that may not have been delivered, a non-idempotent
    /// request) or ended. The text says what happened and whether to retry.
    case failed(String)
}

/// Why the link stopped. Its exit status is the tool's (TOOLS.md "Exit status").
package struct LinkEnd: Error, CustomStringConvertible, Hashable {
    package struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case shutdown, refused, protocolError, unreachable, lost, sameServer
        }

        private let storage: Storage

        private init(_ storage: Storage) { self.storage = storage }

        /// `shutdown()` was called and finished.
        package static let shutdown = Code(.shutdown)
        /// The server refused authentication or registration (`unauthorized` during the handshake): 77.
        package static let refused = Code(.refused)
        /// Version mismatch or an undecodable frame during the handshake: 76.
        package static let protocolError = Code(.protocolError)
        /// Retries exhausted or reconnecting disabled, never having been up: 69.
        package static let unreachable = Code(.unreachable)
        /// Retries exhausted or reconnecting disabled after having been up: 75.
        package static let lost = Code(.lost)
        /// This URL reaches a server another link of this process already uses (§7.5): 69.
        package static let sameServer = Code(.sameServer)

        package var description: String { "\(storage)" }

        /// The value given for this code. Every code is a parameter, so a code added later fails to compile at
        /// every caller instead of falling into a `default:`.
        package func select<Value>(
            shutdown: Value,
            refused: Value,
            protocolError: Value,
            unreachable: Value,
            lost: Value,
            sameServer: Value
        ) -> Value {
            switch storage {
            case .shutdown: shutdown
            case .refused: refused
            case .protocolError: protocolError
            case .unreachable: unreachable
            case .lost: lost
            case .sameServer: sameServer
            }
        }
    }

    package var code: Code
    package var message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    package var description: String { message }
}
