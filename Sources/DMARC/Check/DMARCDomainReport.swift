import DNSCore
import MailAuthCore

/// Whether a report destination outside the policy domain's organization agreed to receive reports
/// (RFC 9990 §3.2.3 for `rua`; RFC 9991 for `ruf`; formerly RFC 7489 §7.1).
public struct ReportAuthorization: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// The destination shares the policy domain's Organizational Domain: no record needed.
        case sameOrganization
        /// `<policy domain>._report._dmarc.<destination>` holds a `v=DMARC1` record.
        case authorized
        /// No authorization record: receivers will not send reports there.
        case notAuthorized
        /// A DNS failure: unknown.
        case unknown
    }

    /// `rua` or `ruf`.
    public var tag: String
    public var uri: ReportURI
    /// The destination domain (the mailbox's domain).
    public var destination: DomainName
    /// The name queried for the authorization record, when one was needed.
    public var queriedName: DomainName?
    public var status: Status
    public var failure: DNSError?
}

/// Everything the audit says about one domain's DMARC: both generations' discovery, the report
/// authorizations, and the findings.
public struct DMARCDomainReport: Sendable, Hashable, Codable {
    public var domain: DomainName
    /// RFC 9989 discovery (the tree walk).
    public var rfc9989: PolicyDiscovery
    /// RFC 7489 discovery (the Public Suffix List).
    public var rfc7489: PolicyDiscovery
    /// Destinations of `rua`/`ruf` and whether they accept reports.
    public var reportAuthorizations: [ReportAuthorization]
    /// The findings (``DMARCLint``), most severe first.
    @EvidenceListed public var findings: [Finding]

    /// Whether DNS failures left anything unknown (the CLI exits 2).
    public var isComplete: Bool {
        rfc9989.isComplete && rfc7489.isComplete && !reportAuthorizations.contains { $0.status == .unknown }
    }
}

/// Findings as the DMARC report's JSON has always given them: each `evidence` a list of lines
/// (empty when there is none), where ``MailAuthCore/Finding``'s own form joins the lines into one
/// string for the audit report. Kept so programs reading `dnsaudit dmarc --format json` see the
/// same schema.
@propertyWrapper
public struct EvidenceListed: Sendable, Hashable, Codable {
    public var wrappedValue: [Finding]

    public init(wrappedValue: [Finding]) { self.wrappedValue = wrappedValue }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        var findings: [Finding] = []
        while !container.isAtEnd { findings.append(try Finding(from: try container.superDecoder(), evidence: .list)) }
        wrappedValue = findings
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        for finding in wrappedValue { try finding.encode(to: container.superEncoder(), evidence: .list) }
    }
}
