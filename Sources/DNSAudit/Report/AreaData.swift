import DKIM
import DNSCore
import DMARC
import SPF

/// The records an area read, parsed: the structured form of what ``AreaReport/records`` shows as
/// text, for programs (SPF terms, DMARC tags, MX hosts with their addresses, DKIM key
/// parameters). Each area fills its own member; the others stay `nil`.
public struct AreaData: Codable, Sendable, Hashable {
    /// The SPF area: the domain's record, term by term.
    public var spf: SPFData?
    /// The DMARC area: the record that applies under RFC 9989, tag by tag.
    public var dmarc: DMARCData?
    /// The MX area: each exchange checked, with its addresses.
    public var mx: [MXHost]?
    /// The DKIM area: each key record found.
    public var dkim: [DKIMKeyData]?
    /// The MTA-STS area, when the policy was fetched: the fetch and the policy.
    public var mtaSts: MTASTSPolicyData?
    /// The MX area, when the hosts were probed: each MX host's STARTTLS and DANE result.
    public var mxTLS: [MXTLSData]?

    public init(
        spf: SPFData? = nil, dmarc: DMARCData? = nil, mx: [MXHost]? = nil, dkim: [DKIMKeyData]? = nil,
        mtaSts: MTASTSPolicyData? = nil, mxTLS: [MXTLSData]? = nil
    ) {
        self.mxTLS = mxTLS
        self.spf = spf
        self.dmarc = dmarc
        self.mx = mx
        self.dkim = dkim
        self.mtaSts = mtaSts
    }
}

/// An MTA-STS policy fetch (RFC 8461 §3.3) and the policy it gave (§3.2).
public struct MTASTSPolicyData: Codable, Sendable, Hashable {
    /// `https://mta-sts.<domain>/.well-known/mta-sts.txt`.
    public var url: String
    /// Whether a policy body was read under every rule of §3.3 (it may still fail to parse).
    public var fetched: Bool
    /// The HTTP status code, when a response came.
    public var httpStatus: Int?
    /// The `Content-Type` header, as sent.
    public var contentType: String?
    /// The body's size in bytes.
    public var bytes: Int?
    /// The TLS version of the connection (`TLSv1.3`).
    public var tlsVersion: String?
    /// `mode`: `enforce`, `testing` or `none`.
    public var mode: String?
    /// `max_age`, seconds.
    public var maxAge: UInt32?
    /// The `mx` patterns.
    public var mx: [String]?
    /// Each MX host and whether a pattern covers it (§4.1).
    public var mxCovered: [MXCoverage]?

    /// One MX host against the policy's patterns.
    public struct MXCoverage: Codable, Sendable, Hashable {
        public var host: String
        public var covered: Bool
    }

    init(_ fetch: MTASTSPolicyFetch, mxHosts: [DomainName]) {
        url = fetch.url
        fetched = fetch.policy != nil
        httpStatus = fetch.httpStatus
        contentType = fetch.contentType
        bytes = fetch.bodyBytes
        tlsVersion = fetch.tlsVersion
        if let policy = fetch.policy {
            mode = policy.mode?.rawValue
            maxAge = policy.maxAge
            mx = policy.mx
            mxCovered = mxHosts.map { MXCoverage(host: $0.description, covered: policy.covers($0)) }
        }
    }
}

/// An SPF record, term by term (RFC 7208 §4.6.1).
public struct SPFData: Codable, Sendable, Hashable {
    /// One directive or modifier.
    public struct Term: Codable, Sendable, Hashable {
        /// `mechanism` (a directive, RFC 7208 §5) or `modifier` (§6).
        public var kind: String
        /// A directive's qualifier: `+`, `-`, `~` or `?` (`+` when none is written); absent for a modifier.
        public var qualifier: String?
        /// The mechanism or modifier name, lower case (`include`, `ip4`, `redirect`).
        public var name: String
        /// What follows the name (`_spf.example.com`, `192.0.2.0/24`, `/24`); absent when nothing does.
        public var value: String?
        /// The term as written.
        public var text: String
    }

    /// The record text.
    public var record: String
    public var terms: [Term]

    /// The record parsed, or `nil` when it does not parse (the findings say why).
    public init?(record text: String) {
        // The SPF check parsed these bytes a moment ago: the shared cache gives that record back.
        guard let record = try? SPFRecordCache.parse(bytes: Array(text.utf8)) else { return nil }
        self.record = text
        terms = record.terms.map { term in
            switch term {
            case .directive(let directive):
                let name = directive.mechanism.name
                return Term(
                    kind: "mechanism", qualifier: directive.qualifier.rawValue, name: name,
                    value: Self.value(of: directive.text, after: name), text: directive.text)
            case .modifier(let modifier):
                return Term(
                    kind: "modifier", qualifier: nil, name: modifier.name.lowercased(),
                    value: Self.value(of: modifier.text, after: modifier.name), text: modifier.text)
            }
        }
    }

    /// `include:_spf.example.com` → `_spf.example.com`; `a/24` → `/24`; `all` → nil.
    static func value(of text: String, after name: String) -> String? {
        var rest = Substring(text)
        if let first = rest.first, "+-~?".contains(first) { rest = rest.dropFirst() }
        rest = rest.dropFirst(name.count)
        if let first = rest.first, first == ":" || first == "=" { rest = rest.dropFirst() }
        return rest.isEmpty ? nil : String(rest)
    }
}

/// A DMARC record, tag by tag (RFC 9989 §4.7), and where it was found.
public struct DMARCData: Codable, Sendable, Hashable {
    /// One `tag=value` pair, as written.
    public struct Tag: Codable, Sendable, Hashable {
        public var name: String
        public var value: String
    }

    /// The record text.
    public var record: String
    /// The domain whose `_dmarc` name holds it (the DMARC Policy Domain).
    public var domain: String
    public var tags: [Tag]

    init(record: DMARCRecord, domain: String) {
        self.record = record.text
        self.domain = domain
        tags = record.tags.map { Tag(name: $0.name, value: $0.value) }
    }
}

/// One mail exchanger (RFC 5321 §5.1).
public struct MXHost: Codable, Sendable, Hashable {
    public var preference: Int
    public var exchange: String
    /// Its A and AAAA addresses (empty when it has none, or is an IP literal).
    public var addresses: [String]
}

/// One DKIM key record's parameters (RFC 6376 §3.6.1).
public struct DKIMKeyData: Codable, Sendable, Hashable {
    public var selector: String
    /// `k=`: `rsa` or `ed25519` (or what was written).
    public var keyType: String
    /// The key's size in bits, when `p=` decodes.
    public var bits: Int?
    /// `t=y`: the domain is testing DKIM.
    public var testing: Bool
    /// `t=s`: `i=` must be in `d=` itself, not a subdomain.
    public var strict: Bool
    /// `h=`: the hash algorithms allowed; absent means all.
    public var hashAlgorithms: [String]?
    /// `s=`: the service types (`email`, `*`).
    public var serviceTypes: [String]
    /// An empty `p=`: the key is revoked.
    public var revoked: Bool

    init(selector: String, record: DKIMKeyRecord) {
        self.selector = selector
        keyType = record.keyType
        bits = try? record.publicKey().bits
        testing = record.isTesting
        strict = record.isStrict
        hashAlgorithms = record.hashAlgorithms
        serviceTypes = record.serviceTypes
        revoked = record.isRevoked
    }
}
