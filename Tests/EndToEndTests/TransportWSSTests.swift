import Glibc
import Testing
@testable import ConclaveClient
@testable import ConclavePOSIX
@testable import ConclaveTransport

/// `wss://` end to end: the `autobahn-echo-server` binary serving TLS with a self-signed certificate made at
/// test time, and a `WebSocketClient` in this process that trusts it only when told to.
@Suite struct TransportWSSTests {
    @Test func clientTrustsTheServerOnlyWithItsCA() throws {
        BrokenPipe.ignore()
        let sandbox = try Sandbox()
        let (certificate, key) = try sandbox.makeSelfSignedCertificate(subject: "conclave e2e CA")

        let server = try ToolProcess(
            ToolProcess.binary("autobahn-echo-server"),
            arguments: ["--bind", "127.0.0.1:0", "--server-id", "e2e-id", "--tls-cert", certificate, "--tls-key", key],
            environment: ToolProcess.environment(home: sandbox.home))
        let listening = try #require(server.readLine(deadline: .after(seconds: 10)), "no listening line")
        try #require(listening.hasPrefix("listening on "), "autobahn-echo-server did not start: \(listening)")
        let port = try HostAndPort(parsing: String(listening.dropFirst(13))).port

        let trusting = try TLSClientContext(extraCAFile: certificate)
        for host in ["127.0.0.1", "localhost"] {
            let url = try WebSocketURL(parsing: "wss://\(host):\(port)/")
            let client = try WebSocketClient.connect(to: url, tls: trusting, deadline: .after(milliseconds: 5_000))
            #expect(client.serverID == "e2e-id")
            try client.send(binary: Array("over tls".utf8))
            #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .binary(Array("over tls".utf8)))
            client.closeAndWait(deadline: .after(milliseconds: 2_000))
        }

        let url = try WebSocketURL(parsing: "wss://127.0.0.1:\(port)")
        let refused = #expect(throws: TransportError.self) {
            try WebSocketClient.connect(
                to: url, tls: TLSClientContext(extraCAFile: nil), deadline: .after(milliseconds: 5_000))
        }
        #expect(refused?.code == .certificate)
        #expect(refused?.message == "TLS: certificate verify failed for 127.0.0.1:\(port): self-signed certificate")
        #expect(refused?.exitStatus == .unavailable)

        // The default context reads CONCLAVE_CA_FILE; no other test sets it.
        setenv(TLSClientContext.caFileVariable, certificate, 1)
        defer { unsetenv(TLSClientContext.caFileVariable) }
        let client = try WebSocketClient.connect(to: url, deadline: .after(milliseconds: 5_000))
        try client.send(binary: [1])
        #expect(try client.nextEvent(deadline: .after(milliseconds: 5_000)) == .binary([1]))
        client.closeAndWait(deadline: .after(milliseconds: 2_000))
        // The server outlived every connection, refused ones included.
        #expect(!server.hasExited)
    }
}
