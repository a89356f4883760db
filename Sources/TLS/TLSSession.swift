import Foundation

/// What a TLS client learned from one handshake: the negotiated parameters, the peer's chain and
/// whether it verified (RFC 8446 §4, RFC 5280 §6, RFC 6125 §6 for the host name).
public struct TLSSession: Sendable, Hashable, Codable {
    /// The protocol version, in OpenSSL's spelling: `TLSv1.3`, `TLSv1.2`.
    public var version: String
    /// The cipher suite, in OpenSSL's spelling: `TLS_AES_256_GCM_SHA384`, `ECDHE-RSA-AES256-GCM-SHA384`.
    public var cipher: String
    /// The key-exchange group (`x25519`, `secp256r1`), when there was one.
    public var group: String?
    /// The server name sent in SNI (RFC 6066 §3); `nil` when the server was given by address.
    public var serverName: String?
    /// The certificates the peer sent, its own first (RFC 8446 §4.4.2).
    public var chain: [CertificateSummary]
    /// The verdict on the chain and the host name.
    public var verification: CertificateVerification
    /// The same certificates as DER, for DANE's TLSA matching (RFC 6698 §2.1, RFC 7672 §3.1). Not
    /// part of the JSON form.
    public var chainDER: [[UInt8]] = []

    enum CodingKeys: String, CodingKey {
        case version, cipher, group, serverName, chain, verification
    }

    public init(
        version: String, cipher: String, group: String?, serverName: String?, chain: [CertificateSummary],
        verification: CertificateVerification, chainDER: [[UInt8]] = []
    ) {
        self.version = version
        self.cipher = cipher
        self.group = group
        self.serverName = serverName
        self.chain = chain
        self.verification = verification
        self.chainDER = chainDER
    }
}

/// One certificate of a peer's chain, as a person checks it (RFC 5280 §4.1).
public struct CertificateSummary: Sendable, Hashable, Codable {
    /// The subject's distinguished name, in certificate order: `C=US, O=Example, CN=mail.example.test`.
    public var subject: String
    /// The subjectAltName DNS names and IP addresses (RFC 5280 §4.2.1.6).
    public var subjectAlternativeNames: [String]
    /// The issuer's distinguished name.
    public var issuer: String
    /// Start of the validity period.
    public var notBefore: Date?
    /// End of the validity period.
    public var notAfter: Date?

    public init(subject: String, subjectAlternativeNames: [String], issuer: String, notBefore: Date?, notAfter: Date?) {
        self.subject = subject
        self.subjectAlternativeNames = subjectAlternativeNames
        self.issuer = issuer
        self.notBefore = notBefore
        self.notAfter = notAfter
    }
}

/// Whether the peer's chain verified against the trust store and the expected host name.
public struct CertificateVerification: Sendable, Hashable, Codable {
    /// `true` when the chain leads to a trusted root, every certificate is within its validity
    /// period and the leaf names the host.
    public var verified: Bool
    /// OpenSSL's X.509 verification result code (`X509_V_OK` is 0; 10 expired, 18 self-signed,
    /// 62 host-name mismatch).
    public var code: Int
    /// OpenSSL's words for it: `ok`, `certificate has expired`, `hostname mismatch`.
    public var reason: String
    /// What was checked against the leaf (`SSL_set1_host`): the host name, or the IP address.
    public var expectedName: String?

    public init(verified: Bool, code: Int, reason: String, expectedName: String?) {
        self.verified = verified
        self.code = code
        self.reason = reason
        self.expectedName = expectedName
    }

    /// The result codes a report names: OpenSSL's `X509_V_ERR_*` values.
    public enum Code {
        public static let ok = 0
        public static let unableToGetIssuerLocally = 20
        public static let certificateNotYetValid = 9
        public static let certificateExpired = 10
        public static let selfSignedLeaf = 18
        public static let selfSignedInChain = 19
        public static let hostnameMismatch = 62
        public static let ipAddressMismatch = 64
    }
}

/// How a TLS client connection is set up.
public struct TLSClientConfiguration: Sendable, Hashable {
    /// The name the server is expected to hold: sent as SNI and checked against the certificate
    /// (`SSL_set1_host`, RFC 6125 §6). An IP address is checked against the iPAddress SANs and
    /// not sent as SNI (RFC 6066 §3 forbids it).
    public var serverName: String
    /// A PEM file of CA certificates trusted in addition to the system's (OpenSSL's default verify
    /// paths, which honour `SSL_CERT_FILE` and `SSL_CERT_DIR`).
    public var caFile: String?
    /// ALPN protocol names to offer (RFC 7301), such as `http/1.1`; none by default.
    public var applicationProtocols: [String]

    public init(serverName: String, caFile: String? = nil, applicationProtocols: [String] = []) {
        self.serverName = serverName
        self.caFile = caFile
        self.applicationProtocols = applicationProtocols
    }
}
