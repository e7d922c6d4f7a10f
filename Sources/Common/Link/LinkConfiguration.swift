import ConclaveTransport
import ConclaveWire

/// Everything a `Link` needs to know before it dials.
package struct LinkConfiguration: Sendable {
    /// The server to dial.
    package var url: WebSocketURL
    /// The URL as configured, for messages, `_server` annotations and same-server detection (§7.5).
    package var urlText: String
    /// The session handle, and whether the flapping breaker may rename it (§7.6).
    package var handle: SessionHandle
    /// The machine's key, which answers the server's challenge.
    package var signingKey: SigningKey
    /// When set, the first successful handshake registers this account and machine (§5.4); later
    /// reconnects authenticate plainly.
    package var registration: LinkRegistration?
    package var timing: LinkTiming
    /// Failed dials in a row after which the link ends (`--retry N`); nil: never.
    package var retryLimit: Int?
    /// False (`--no-reconnect`): the first drop or failed dial ends the link.
    package var reconnects: Bool

    package init(
        url: WebSocketURL, urlText: String? = nil, handle: SessionHandle, signingKey: SigningKey,
        registration: LinkRegistration? = nil, timing: LinkTiming = LinkTiming(), retryLimit: Int? = nil,
        reconnects: Bool = true
    ) {
        self.url = url
        self.urlText = urlText ?? url.description
        self.handle = handle
        self.signingKey = signingKey
        self.registration = registration
        self.timing = timing
        self.retryLimit = retryLimit
        self.reconnects = reconnects
    }
}
