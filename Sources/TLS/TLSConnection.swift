internal import CLibSSL
import DNSCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One OpenSSL client connection (`SSL_CTX` and `SSL`) over a ``ByteStream``'s socket. It owns
/// both and frees them in `deinit`; no pointer leaves this file. Used only on the stream's queue.
final class TLSConnection {
    private let context: OpaquePointer
    private let ssl: OpaquePointer

    init(descriptor: Int32, configuration: TLSClientConfiguration) throws {
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw StreamError(.configuration, step: "tls-handshake", "SSL_CTX_new: \(Self.drainErrors())")
        }
        // The system trust store (honours SSL_CERT_FILE / SSL_CERT_DIR), plus the caller's CA file.
        SSL_CTX_set_default_verify_paths(context)
        if let caFile = configuration.caFile, SSL_CTX_load_verify_locations(context, caFile, nil) != 1 {
            let reason = Self.drainErrors()
            SSL_CTX_free(context)
            throw StreamError(.configuration, step: "tls-handshake", "cannot load the CA file \(caFile): \(reason)")
        }
        // Verification is evaluated, never enforced: the handshake completes so the chain can be
        // reported, and the verdict is read with SSL_get_verify_result.
        SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        guard let ssl = SSL_new(context) else {
            let reason = Self.drainErrors()
            SSL_CTX_free(context)
            throw StreamError(.configuration, step: "tls-handshake", "SSL_new: \(reason)")
        }
        self.context = context
        self.ssl = ssl

        let name = configuration.serverName
        if IPAddress(name) != nil {
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
        } else if !name.isEmpty {
            SSL_set1_host(ssl, name)
            _ = dnsaudit_SSL_set_tlsext_host_name(ssl, name)
        }
        if !configuration.applicationProtocols.isEmpty {
            var wire: [UInt8] = []
            for proto in configuration.applicationProtocols where !proto.isEmpty && proto.utf8.count < 256 {
                wire.append(UInt8(proto.utf8.count))
                wire += proto.utf8
            }
            _ = SSL_set_alpn_protos(ssl, wire, UInt32(wire.count))
        }
        guard SSL_set_fd(ssl, descriptor) == 1 else {
            throw StreamError(.configuration, step: "tls-handshake", "SSL_set_fd: \(Self.drainErrors())")
        }
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(context)
    }

    /// Sends close_notify once, without waiting for the peer's.
    func shutdown() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// Runs the handshake, calling `wait` with the poll events OpenSSL needs between tries.
    func handshake(wait: (Int16) throws -> Void) throws {
        while true {
            ERR_clear_error()
            let result = SSL_connect(ssl)
            if result == 1 { return }
            try handle(result, step: "tls-handshake", wait: wait)
        }
    }

    /// Writes some of `buffer`; returns how many bytes were written.
    func write(_ buffer: UnsafeRawBufferPointer, wait: (Int16) throws -> Void) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        while true {
            ERR_clear_error()
            var written = 0
            let result = SSL_write_ex(ssl, buffer.baseAddress, buffer.count, &written)
            if result == 1 { return written }
            try handle(result, step: "write", wait: wait)
        }
    }

    /// Reads into `buffer`; returns the count, 0 when the peer closed the connection.
    func read(into buffer: UnsafeMutableRawBufferPointer, wait: (Int16) throws -> Void) throws -> Int {
        while true {
            ERR_clear_error()
            var count = 0
            let result = SSL_read_ex(ssl, buffer.baseAddress, buffer.count, &count)
            if result == 1 { return count }
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_ZERO_RETURN { return 0 }
            if error == SSL_ERROR_SYSCALL, ERR_peek_error() == 0 { return 0 }  // EOF without close_notify
            try handle(result, step: "read", wait: wait)
        }
    }

    /// Waits for what OpenSSL wants, or throws what went wrong.
    private func handle(_ result: Int32, step: String, wait: (Int16) throws -> Void) throws {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ: try wait(Int16(POLLIN))
        case SSL_ERROR_WANT_WRITE: try wait(Int16(POLLOUT))
        case SSL_ERROR_ZERO_RETURN:
            throw StreamError(.closed, step: step, "the peer closed the TLS connection")
        case SSL_ERROR_SYSCALL:
            let code = errno
            let queued = Self.drainErrors()
            if !queued.isEmpty { throw StreamError(step == "tls-handshake" ? .handshake : .system, step: step, queued) }
            if code == 0 || code == ECONNRESET || code == EPIPE {
                throw StreamError(.closed, step: step, "the peer closed the connection")
            }
            throw ByteStream.systemError(step: step, code)
        default:
            let queued = Self.drainErrors()
            throw StreamError(step == "tls-handshake" ? .handshake : .system, step: step,
                              queued.isEmpty ? "OpenSSL error \(error)" : queued)
        }
    }

    /// This thread's OpenSSL error queue as text (`error:0A00010B:SSL routines::wrong version
    /// number`), emptied.
    static func drainErrors() -> String {
        var lines: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            lines.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return lines.joined(separator: "; ")
    }

    // MARK: - What the handshake negotiated

    func session(configuration: TLSClientConfiguration) -> TLSSession {
        let version = SSL_get_version(ssl).map { String(cString: $0) } ?? "unknown"
        let cipher = SSL_get_current_cipher(ssl).flatMap { SSL_CIPHER_get_name($0) }.map { String(cString: $0) } ?? "unknown"
        let groupID = dnsaudit_SSL_get_negotiated_group(ssl)
        let group = groupID > 0 ? SSL_group_to_name(ssl, Int32(groupID)).map { String(cString: $0) } : nil

        var chain: [CertificateSummary] = []
        var chainDER: [[UInt8]] = []
        if let stack = SSL_get_peer_cert_chain(ssl) {
            for index in 0..<dnsaudit_sk_X509_num(stack) {
                if let certificate = dnsaudit_sk_X509_value(stack, index) {
                    chain.append(Self.summary(of: certificate))
                    chainDER.append(Self.der(of: certificate))
                }
            }
        }
        let code = Int(SSL_get_verify_result(ssl))
        let reason = X509_verify_cert_error_string(code).map { String(cString: $0) } ?? "error \(code)"
        let hasPeer = !chain.isEmpty
        let name = configuration.serverName
        return TLSSession(
            version: version, cipher: cipher, group: group,
            serverName: IPAddress(name) == nil && !name.isEmpty ? name : nil,
            chain: chain,
            verification: CertificateVerification(
                verified: hasPeer && code == CertificateVerification.Code.ok,
                code: code, reason: hasPeer ? reason : "the server sent no certificate",
                expectedName: name.isEmpty ? nil : name),
            chainDER: chainDER)
    }

    /// The certificate's DER encoding (`i2d_X509`); empty if it cannot be encoded.
    private static func der(of certificate: OpaquePointer) -> [UInt8] {
        let length = i2d_X509(certificate, nil)
        guard length > 0 else { return [] }
        var bytes = [UInt8](repeating: 0, count: Int(length))
        let written = bytes.withUnsafeMutableBufferPointer { buffer -> Int32 in
            var pointer = buffer.baseAddress
            return i2d_X509(certificate, &pointer)
        }
        return written == length ? bytes : []
    }

    private static func summary(of certificate: OpaquePointer) -> CertificateSummary {
        CertificateSummary(
            subject: text(of: X509_get_subject_name(certificate)),
            subjectAlternativeNames: alternativeNames(of: certificate),
            issuer: text(of: X509_get_issuer_name(certificate)),
            notBefore: date(X509_get0_notBefore(certificate)),
            notAfter: date(X509_get0_notAfter(certificate)))
    }

    private static func text(of name: OpaquePointer?) -> String {
        guard let name, let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard X509_NAME_print_ex(bio, name, 0, dnsaudit_name_print_flags()) >= 0 else { return "" }
        var data: UnsafeMutablePointer<CChar>?
        let length = dnsaudit_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    private static func alternativeNames(of certificate: OpaquePointer) -> [String] {
        guard let names = dnsaudit_subject_alt_names(certificate) else { return [] }
        defer { dnsaudit_GENERAL_NAMES_free(names) }
        var result: [String] = []
        for index in 0..<dnsaudit_GENERAL_NAMES_num(names) {
            var data: UnsafePointer<UInt8>?
            var length: Int32 = 0
            let type = dnsaudit_general_name(names, index, &data, &length)
            guard let data, length > 0 else { continue }
            let bytes = UnsafeBufferPointer(start: data, count: Int(length))
            if type == GEN_DNS {
                result.append("DNS:" + String(decoding: bytes, as: UTF8.self))
            } else if type == GEN_IPADD {
                if length == 4 {
                    result.append("IP:" + bytes.map(String.init).joined(separator: "."))
                } else if length == 16, let v6 = IPv6Address(octets: Array(bytes)) {
                    result.append("IP:\(v6)")
                }
            }
        }
        return result
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date? {
        guard let time else { return nil }
        var parts = tm()
        guard ASN1_TIME_to_tm(time, &parts) == 1 else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
