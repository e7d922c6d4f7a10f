internal import COpenSSL
internal import CTLSShims
internal import Glibc

/// OpenSSL settings for dialling `wss://`: the peer must present a certificate for the host we dialled,
/// chained to a system CA or to the CA file named by `CONCLAVE_CA_FILE`; TLS 1.2 or later.
/// Create one only when a `wss://` URL is used: even lazily loaded, OpenSSL setup is not free.
package final class TLSClientContext {
    let context: OpaquePointer

    /// The environment variable naming an extra PEM file of CA certificates to trust.
    package static let caFileVariable = "CONCLAVE_CA_FILE"

    /// The CA file named by `CONCLAVE_CA_FILE`, if set and not empty.
    package static var caFileFromEnvironment: String? {
        guard let value = getenv(caFileVariable), value.pointee != 0 else { return nil }
        return String(cString: value)
    }

    /// - Parameter extraCAFile: a PEM file of CA certificates trusted in addition to the system's.
    package init(extraCAFile: String? = TLSClientContext.caFileFromEnvironment) throws(TransportError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw TransportError(.tls, "TLS: cannot create a client context: \(OpenSSLErrors.drain())")
        }
        self.context = context
        try TLSContextSetup.applyCommonSettings(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        // The hashed directory is read lazily, one file per issuer looked up; the bundle file would be parsed
        // whole at start-up (about 20 ms).
        SSL_CTX_load_verify_locations(context, nil, "/etc/ssl/certs")
        ERR_clear_error()
        if let extraCAFile {
            guard SSL_CTX_load_verify_locations(context, extraCAFile, nil) == 1 else {
                throw TransportError(
                    .tls, "TLS: cannot load CA file \(extraCAFile) (\(Self.caFileVariable)): \(OpenSSLErrors.drain())")
            }
        }
    }

    deinit { SSL_CTX_free(context) }
}

/// OpenSSL settings for serving `wss://` with a certificate chain and its private key (PEM files).
package final class TLSServerContext {
    let context: OpaquePointer

    package init(certificateFile: String, keyFile: String) throws(TransportError) {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_server_method()) else {
            throw TransportError(.tls, "TLS: cannot create a server context: \(OpenSSLErrors.drain())")
        }
        self.context = context
        try TLSContextSetup.applyCommonSettings(context)
        guard SSL_CTX_use_certificate_chain_file(context, certificateFile) == 1 else {
            throw TransportError(
                .tls, "TLS: cannot load certificate chain from \(certificateFile): \(OpenSSLErrors.drain())")
        }
        guard SSL_CTX_use_PrivateKey_file(context, keyFile, SSL_FILETYPE_PEM) == 1 else {
            throw TransportError(.tls, "TLS: cannot load private key from \(keyFile): \(OpenSSLErrors.drain())")
        }
        guard SSL_CTX_check_private_key(context) == 1 else {
            throw TransportError(
                .tls, "TLS: private key \(keyFile) does not match certificate \(certificateFile)")
        }
    }

    deinit { SSL_CTX_free(context) }
}

enum TLSContextSetup {
    static func applyCommonSettings(_ context: OpaquePointer) throws(TransportError) {
        guard cshim_ssl_ctx_set_min_tls12(context) == 1 else {
            throw TransportError(.tls, "TLS: cannot require TLS 1.2: \(OpenSSLErrors.drain())")
        }
        SSL_CTX_set_options(
            context,
            CSHIM_SSL_OP_NO_COMPRESSION | CSHIM_SSL_OP_NO_RENEGOTIATION | CSHIM_SSL_OP_IGNORE_UNEXPECTED_EOF)
        cshim_ssl_ctx_set_nonblocking_modes(context)
    }
}

/// OpenSSL's thread-local error queue as one line.
enum OpenSSLErrors {
    /// The reasons queued since the last clear, oldest first, joined by "; "; the queue is left empty.
    static func drain() -> String {
        var reasons: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            if let reason = ERR_reason_error_string(code) {
                reasons.append(String(cString: reason))
            } else {
                var buffer = [CChar](repeating: 0, count: 256)
                ERR_error_string_n(code, &buffer, buffer.count)
                reasons.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
        }
        return reasons.isEmpty ? "unknown error" : reasons.joined(separator: "; ")
    }
}
