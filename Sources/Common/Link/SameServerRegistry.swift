import ConclavePOSIX

/// The process-wide map of PROTOCOL.md §7.5: server instance id → the first URL (as configured) that reached
/// it. Two links of one process reaching one server through two URLs would hold the same session path and
/// supersede each other forever; the second one stops instead. Claims last for the life of the process.
enum SameServerRegistry {
    /// What a claim found.
    enum Claim: Hashable, Sendable {
        /// The id was unknown and now belongs to this URL, or already did (a reconnect).
        case claimed
        /// The id belongs to another URL: this URL reaches the same server.
        case heldBy(url: String)
    }

    private static let claims = ProcessWideLock<[String: String]>([:])

    /// Claims `serverID` for `url`.
    static func claim(_ serverID: String, for url: String) -> Claim {
        claims.withLock { claims in
            if let holder = claims[serverID], holder != url { return .heldBy(url: holder) }
            claims[serverID] = url
            return .claimed
        }
    }
}
