import ConclaveLink
import ConclaveTransport
import ConclaveWire

/// A link of the tool's own: the reconnecting, authenticated `Link` of TOOLS.md "The link" (pings, re-joins,
/// post reconciliation) as a `LinkSource`.
package final class OwnLink: LinkSource {
    private let configuration: LinkConfiguration
    private unowned let loop: EventLoop
    private var link: Link?

    package init(configuration: LinkConfiguration, loop: EventLoop) {
        self.configuration = configuration
        self.loop = loop
    }

    package var label: String { configuration.urlText }
    package var path: SessionPath? { link?.path }

    package func start(onEvent: @escaping (LinkSourceEvent) -> Void) {
        let link = Link(configuration: configuration, loop: loop) { event in onEvent(LinkSourceEvent(event)) }
        self.link = link
        link.start()
    }

    @discardableResult
    package func submit(_ request: ClientRequest) -> RequestTag {
        guard let link else { preconditionFailure("OwnLink.submit before start") }
        return link.submit(request.frame)
    }

    package func shutdown() {
        link?.shutdown()
    }
}
