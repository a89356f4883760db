internal import CLibCrypto
import DNSCore

/// A TLSA record (RFC 6698 §2.1), as DANE for SMTP reads it (RFC 7672).
public struct TLSARecord: Sendable, Hashable, CustomStringConvertible {
    /// Certificate usage (RFC 7218 §2.1).
    public enum Usage: UInt8, Sendable, Hashable {
        /// PKIX-TA(0): unusable for SMTP (RFC 7672 §3.1.3).
        case pkixTA = 0
        /// PKIX-EE(1): unusable for SMTP (RFC 7672 §3.1.3).
        case pkixEE = 1
        /// DANE-TA(2): a trust anchor of the server's chain (RFC 7672 §3.1.2).
        case daneTA = 2
        /// DANE-EE(3): the server's own certificate or key (RFC 7672 §3.1.1).
        case daneEE = 3
    }

    /// The certificate usage; `nil` for a value RFC 6698 does not define.
    public var usage: Usage?
    public var usageValue: UInt8
    /// 0: the whole certificate (DER); 1: its SubjectPublicKeyInfo (DER) (RFC 6698 §2.1.2).
    public var selector: UInt8
    /// 0: the data itself; 1: SHA-256 of it; 2: SHA-512 (RFC 6698 §2.1.3).
    public var matchingType: UInt8
    /// The certificate association data.
    public var data: [UInt8]

    public init(usage: UInt8, selector: UInt8, matchingType: UInt8, data: [UInt8]) {
        self.usage = Usage(rawValue: usage)
        self.usageValue = usage
        self.selector = selector
        self.matchingType = matchingType
        self.data = data
    }

    /// The TLSA record's RDATA, or `nil` for another record type or RDATA under 4 bytes.
    public init?(_ record: ResourceRecord) {
        guard case .other(.tlsa, let bytes) = record.data, bytes.count >= 4 else { return nil }
        self.init(usage: bytes[0], selector: bytes[1], matchingType: bytes[2], data: Array(bytes[3...]))
    }

    /// `3 1 1 66fb07…`, as in a zone file.
    public var description: String {
        "\(usageValue) \(selector) \(matchingType) " + data.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }
}

/// Whether a TLSA record matches a certificate chain (RFC 7672 §3.1, RFC 6698 §2.1).
public enum TLSAMatch: Sendable, Hashable {
    /// The record matches the certificate at this index of the chain (0: the server's own).
    case matched(certificateIndex: Int)
    /// No certificate of the chain it may match has the association data.
    case noMatch
    /// PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 §3.1.3), and unknown usages,
    /// selectors and matching types are unusable (RFC 6698 §4.1).
    case unusable(String)
    /// A certificate of the chain is not DER X.509.
    case malformedCertificate(index: Int)

    /// Matches `record` against `chain` (DER certificates, the server's first, as presented).
    ///
    /// DANE-EE(3) is matched against the server's certificate only (RFC 7672 §3.1.1). DANE-TA(2)
    /// against every certificate of the chain (RFC 7672 §3.1.2: usually one the server sends
    /// above its own); building and checking the chain from that anchor to the server's
    /// certificate is the TLS layer's part, as is the name check.
    public static func evaluate(_ record: TLSARecord, chain: [[UInt8]]) -> TLSAMatch {
        guard let usage = record.usage else { return .unusable("certificate usage \(record.usageValue) is not defined (RFC 6698 §2.1.1)") }
        switch usage {
        case .pkixTA, .pkixEE:
            return .unusable("usage \(record.usageValue) (PKIX) is unusable for SMTP (RFC 7672 §3.1.3)")
        case .daneTA, .daneEE:
            break
        }
        guard record.selector <= 1 else { return .unusable("selector \(record.selector) is not defined (RFC 6698 §2.1.2)") }
        guard record.matchingType <= 2 else {
            return .unusable("matching type \(record.matchingType) is not defined (RFC 6698 §2.1.3)")
        }
        let candidates = usage == .daneEE ? Array(chain.prefix(1).indices) : Array(chain.indices)
        for index in candidates {
            guard let selected = selectedData(chain[index], selector: record.selector) else {
                return .malformedCertificate(index: index)
            }
            if associationData(selected, matchingType: record.matchingType) == record.data { return .matched(certificateIndex: index) }
        }
        return .noMatch
    }

    /// The whole certificate, or its SubjectPublicKeyInfo re-encoded by libcrypto; `nil` unless
    /// `der` is exactly one X.509 certificate.
    static func selectedData(_ der: [UInt8], selector: UInt8) -> [UInt8]? {
        der.withUnsafeBufferPointer { buffer -> [UInt8]? in
            guard let base = buffer.baseAddress else { return nil }
            var cursor: UnsafePointer<UInt8>? = base
            guard let certificate = d2i_X509(nil, &cursor, buffer.count) else { return nil }
            defer { X509_free(certificate) }
            guard cursor == base + buffer.count else { return nil }
            if selector == 0 { return der }
            guard let key = X509_get_X509_PUBKEY(certificate) else { return nil }
            let length = i2d_X509_PUBKEY(key, nil)
            guard length > 0 else { return nil }
            var spki = [UInt8](repeating: 0, count: Int(length))
            let written = spki.withUnsafeMutableBufferPointer { out -> Int32 in
                var pointer = out.baseAddress
                return i2d_X509_PUBKEY(key, &pointer)
            }
            return written == length ? spki : nil
        }
    }

    /// The data as published: itself, or its SHA-256 or SHA-512 digest.
    static func associationData(_ data: [UInt8], matchingType: UInt8) -> [UInt8]? {
        let digest: OpaquePointer?
        switch matchingType {
        case 0: return data
        case 1: digest = EVP_sha256()
        case 2: digest = EVP_sha512()
        default: return nil
        }
        var output = [UInt8](repeating: 0, count: 64)
        var length: UInt32 = 0
        let done = data.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, digest, nil)
            }
        }
        return done == 1 ? Array(output.prefix(Int(length))) : nil
    }
}
