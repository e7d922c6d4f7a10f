internal import COpenSSL
internal import CTLSShims
internal import Glibc

/// One TLS connection (an OpenSSL `SSL`) over a non-blocking socket it does not own.
final class TLSSession {
    private let ssl: OpaquePointer
    private let label: String
    private let isClient: Bool
    private(set) var isHandshakeComplete = false

    /// A client session; `serverName` is sent as SNI (unless an IP literal) and must match the certificate.
    init(client context: TLSClientContext, socket: Socket, serverName: String) throws(TransportError) {
        ssl = try Self.makeSSL(context.context, socket: socket)
        label = socket.label
        isClient = true
        if SocketAddress.isIPLiteral(serverName) {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), serverName)
        } else {
            cshim_ssl_set_sni(ssl, serverName)
            SSL_set1_host(ssl, serverName)
        }
        SSL_set_connect_state(ssl)
    }

    init(server context: TLSServerContext, socket: Socket) throws(TransportError) {
        ssl = try Self.makeSSL(context.context, socket: socket)
        label = socket.label
        isClient = false
        SSL_set_accept_state(ssl)
    }

    private static func makeSSL(_ context: OpaquePointer, socket: Socket) throws(TransportError) -> OpaquePointer {
        ERR_clear_error()
        guard let ssl = SSL_new(context) else {
            throw TransportError(.tls, "TLS: cannot create a session for \(socket.label): \(OpenSSLErrors.drain())")
        }
        SSL_set_fd(ssl, socket.fileDescriptor)
        return ssl
    }

    deinit { SSL_free(ssl) }

    /// Decrypted bytes OpenSSL already holds; poll(2) cannot see them.
    var pendingBytes: Int { Int(SSL_pending(ssl)) }

    /// Advances the handshake; nil once it is complete, else what to wait for.
    func advanceHandshake() throws(TransportError) -> IOInterest? {
        if isHandshakeComplete { return nil }
        ERR_clear_error()
        errno = 0
        let status = SSL_do_handshake(ssl)
        if status == 1 {
            isHandshakeComplete = true
            return nil
        }
        let failure = SSL_get_error(ssl, status)
        switch failure {
        case SSL_ERROR_WANT_READ: return .readable
        case SSL_ERROR_WANT_WRITE: return .writable
        case SSL_ERROR_ZERO_RETURN:
            throw TransportError(.closed, "TLS: \(label) closed the connection during the handshake")
        case SSL_ERROR_SYSCALL:
            let cause = errno == 0 ? "connection closed" : TransportError.errnoText(errno)
            _ = OpenSSLErrors.drain()
            throw TransportError(.tls, "TLS: handshake with \(label) failed: \(cause)")
        default:
            let verifyResult = isClient ? SSL_get_verify_result(ssl) : Int(X509_V_OK)
            if verifyResult != Int(X509_V_OK) {
                _ = OpenSSLErrors.drain()
                let reason = String(cString: X509_verify_cert_error_string(verifyResult))
                throw TransportError(.certificate, "TLS: certificate verify failed for \(label): \(reason)")
            }
            throw TransportError(.tls, "TLS: handshake with \(label) failed: \(OpenSSLErrors.drain())")
        }
    }

    package func read(into buffer: UnsafeMutableRawBufferPointer) throws(TransportError) -> IOOutcome {
        ERR_clear_error()
        errno = 0
        let count = SSL_read(ssl, buffer.baseAddress, Int32(clamping: buffer.count))
        if count > 0 { return .transferred(Int(count)) }
        return try outcome(of: count, reading: true)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(TransportError) -> IOOutcome {
        if bytes.isEmpty { return .transferred(0) }
        ERR_clear_error()
        errno = 0
        let count = SSL_write(ssl, bytes.baseAddress, Int32(clamping: bytes.count))
        if count > 0 { return .transferred(Int(count)) }
        return try outcome(of: count, reading: false)
    }

    private func outcome(of status: Int32, reading: Bool) throws(TransportError) -> IOOutcome {
        let failure = SSL_get_error(ssl, status)
        let verb = reading ? "read from" : "write to"
        switch failure {
        case SSL_ERROR_WANT_READ: return .wouldBlock(.readable)
        case SSL_ERROR_WANT_WRITE: return .wouldBlock(.writable)
        case SSL_ERROR_ZERO_RETURN:
            if reading { return .endOfStream }
            throw TransportError(.closed, "TLS: \(label) closed the connection")
        case SSL_ERROR_SYSCALL:
            let code = errno
            _ = OpenSSLErrors.drain()
            if code == EPIPE || code == ECONNRESET || code == 0 {
                if reading && code == 0 { return .endOfStream }
                throw TransportError(.closed, "connection to \(label) closed by peer")
            }
            throw TransportError(.io, "TLS: \(verb) \(label) failed: \(TransportError.errnoText(code))")
        default:
            throw TransportError(.tls, "TLS: \(verb) \(label) failed: \(OpenSSLErrors.drain())")
        }
    }

    /// Sends close_notify once, without waiting for the peer's; errors are irrelevant at this point.
    func sendCloseNotify() {
        guard isHandshakeComplete else { return }
        ERR_clear_error()
        SSL_shutdown(ssl)
        ERR_clear_error()
    }
}
