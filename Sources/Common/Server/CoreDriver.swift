import ConclavePOSIX
import ConclaveTransport
import ConclaveWire

/// Where the runner's ``ServerCore`` runs: how the loop's events reach it and its actions come back.
///
/// On an embedded store the core runs on the loop's own thread (``LoopCore``): a SQLite commit takes
/// microseconds to a few milliseconds and a thread hop would only add latency. On PostgreSQL every store call
/// waits for the network, so the core runs on a thread of its own (``CoreThread``) and the loop goes on reading,
/// writing, answering pings and `/health` meanwhile (issue 16 item 1).
protocol CoreDriver: AnyObject {
    /// Carries out the core's actions in order; set by the runner before ``start()``.
    var perform: ([ServerAction]) -> Void { get set }
    /// A connection told to wait (``received(_:bytes:on:)`` returned false) may hand over frames again.
    var resume: (ConnectionID) -> Void { get set }
    /// `/metrics`.
    var metricsText: String { get }

    /// Starts the core: the retention sweep, the timers. Nothing else comes before it.
    func start() throws(ServeError)
    func connectionOpened(_ id: ConnectionID, acceptedAtMs: Int64)
    /// One decoded frame of `bytes` bytes. Returns whether the connection may hand over more now; when not, it
    /// waits for ``resume``.
    func received(_ frame: ProtocolMessage, bytes: Int, on id: ConnectionID) -> Bool
    func receivedUndecodable(on id: ConnectionID)
    func wrote(frames: Int, bytes: Int, on id: ConnectionID)
    func connectionClosed(_ id: ConnectionID)
    /// The loop's turn ended, or it is about to wait: what the turn handed over is committed now.
    func turnEnded()
    /// Drops every session with "session terminated" and returns once their goodbyes are performed, or at
    /// `deadline` if the core cannot answer by then.
    func shutdown(deadline: MonotonicInstant)
}
