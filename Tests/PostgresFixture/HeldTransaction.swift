import ConclaveStore

/// A transaction a test keeps open on a connection of its own, holding the locks its statements took, so that a
/// server's store call waits for it as it would for a slow or stalled database.
package final class HeldTransaction {
    private let connection: PostgresConnection
    private var isOpen = true

    /// Opens a connection to `url`, begins a transaction and runs `statements` in it.
    package init(url: String, _ statements: [String]) throws {
        connection = try PostgresConnection(url: url)
        try connection.execute("BEGIN")
        for statement in statements { try connection.execute(statement) }
    }

    /// Rolls the transaction back, releasing its locks.
    package func release() throws {
        guard isOpen else { return }
        isOpen = false
        try connection.execute("ROLLBACK")
    }

    deinit { try? release() }
}
