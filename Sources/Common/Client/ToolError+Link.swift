// The exit status of each error the transport and the link report (TOOLS.md "Exit status"), for the tools
// that hold a link. The layers below know nothing of exit statuses.
import ConclaveCLI
import ConclaveLink
import ConclaveTransport

extension TransportError: ToolError {
    /// Not reaching the peer at all is "server never reached"; losing it later is "link lost".
    package var exitStatus: ExitStatus {
        code.select(
            resolve: .unavailable, connect: .unavailable, timeout: .unavailable, tls: .unavailable,
            certificate: .unavailable, closed: .linkLost, io: .linkLost, upgrade: .unavailable, tooLarge: .dataError,
            listen: .failure)
    }
}

extension WebSocketURLError: ToolError {
    package var exitStatus: ExitStatus { .usage }
}

extension LinkEnd: ToolError {
    package var exitStatus: ExitStatus {
        code.select(
            shutdown: .success, refused: .refused, protocolError: .protocolError, unreachable: .unavailable,
            lost: .linkLost, sameServer: .unavailable)
    }
}

extension LinkTimingError: ToolError {
    package var exitStatus: ExitStatus { .usage }
}
