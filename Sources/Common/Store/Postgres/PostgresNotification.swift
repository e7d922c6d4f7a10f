/// One `NOTIFY` a connection received: the channel it was sent on and its payload (empty when none was given).
package struct PostgresNotification: Hashable, Sendable {
    package var channel: String
    package var payload: String

    package init(channel: String, payload: String) {
        self.channel = channel
        self.payload = payload
    }
}
