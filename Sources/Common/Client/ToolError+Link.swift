// The exit status of each error the transport and the link report (TOOLS.md "Exit status"), for the tools
// that hold a link. The layers below know nothing of exit statuses.
import ConclaveCLI
import ConclaveLink
import ConclaveTransport

extension TransportError: ToolError {
    /// Not reaching the peer at all is "server never reached"; losing it later is "link lost".
    package var exitStatus: ExitStatus {
        switch code {
        case .closed, .io: .linkLost
        case .listen: .failure
        case .tooLarge: .dataError
        default: .unavailable
        }
    }
}

extension WebSocketURLError: ToolError {
    package var exitStatus: ExitStatus { .usage }
}

extension LinkEnd: ToolError {
    package var exitStatus: ExitStatus {
        switch code {
        case .shutdown: .success
        case .refused: .refused
        case .protocolError: .protocolError
        case .unreachable, .sameServer: .unavailable
        default: .linkLost
        }
    }
}

extension LinkTimingError: ToolError {
    package var exitStatus: ExitStatus { .usage }
}
