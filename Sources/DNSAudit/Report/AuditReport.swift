import DNSCore
import MailAuthCore

/// An area of the audit: one protocol or one part of the mail DNS.
public enum AuditArea: String, Codable, Sendable, CaseIterable {
    case spf
    case dkim
    case dmarc
    case mx
    case mtaSts = "mta-sts"
    case tlsRpt = "tls-rpt"
    case bimi
    case dnssec

    /// The id of the finding an area gives when DNS failures kept it from finishing
    /// (`mx.incomplete`).
    public var incompleteFindingID: String { "\(rawValue).incomplete" }

    /// The heading used in text reports.
    public var title: String {
        switch self {
        case .spf: "SPF"
        case .dkim: "DKIM"
        case .dmarc: "DMARC"
        case .mx: "MX"
        case .mtaSts: "MTA-STS"
        case .tlsRpt: "TLS-RPT"
        case .bimi: "BIMI"
        case .dnssec: "DNSSEC"
        }
    }
}

/// How an area came out.
public enum AreaStatus: String, Codable, Sendable, Comparable {
    /// Nothing to fix.
    case pass
    /// Works, with warnings.
    case warn
    /// At least one error: some mail will fail authentication or delivery.
    case fail
    /// DNS failures (SERVFAIL, timeout, …) kept the check from finishing; nothing is known to
    /// be missing.
    case incomplete

    private var rank: Int {
        switch self {
        case .pass: 0
        case .warn: 1
        case .fail: 2
        case .incomplete: 3
        }
    }

    public static func < (lhs: AreaStatus, rhs: AreaStatus) -> Bool { lhs.rank < rhs.rank }
}

/// The outcome of one area's checks.
public struct AreaReport: Codable, Sendable, Hashable {
    public var area: AuditArea
    public var status: AreaStatus
    /// One line for a person: what was found.
    public var summary: String
    /// The DNS data the checks read, as zone-file lines or record text (shown with `--verbose`).
    public var records: [String]
    /// What the checks found, most severe first.
    public var findings: [Finding]
    /// The DNSSEC area only, when dnsaudit validated: each answer it validated and the result.
    public var dnssec: [DNSSECAnswerReport]?

    public init(
        area: AuditArea, status: AreaStatus? = nil, summary: String, records: [String] = [], findings: [Finding],
        dnssec: [DNSSECAnswerReport]? = nil
    ) {
        let sorted = findings.sorted { ($0.severity, $1.id) > ($1.severity, $0.id) }
        self.area = area
        self.summary = summary
        self.records = records
        self.findings = sorted
        self.dnssec = dnssec
        self.status = status ?? AreaReport.status(of: sorted)
    }

    /// fail when any error, warn when any warning, else pass.
    public static func status(of findings: [Finding]) -> AreaStatus {
        let worst = findings.map(\.severity).max()
        switch worst {
        case .error?: return .fail
        case .warning?: return .warn
        default: return .pass
        }
    }
}

/// The whole audit of one domain: what `dnsaudit example.com` prints, and its JSON.
public struct AuditReport: Codable, Sendable {
    /// The domain audited.
    public var domain: String
    /// When the audit ran, RFC 3339 UTC.
    public var timestamp: String
    /// The resolver used (`ldns 127.0.0.1:53`, `zone example.zone`).
    public var resolver: String
    /// Wall time of the audit, in milliseconds.
    public var durationMilliseconds: Int
    /// The worst area status.
    public var status: AreaStatus
    /// Each area's result, in a fixed order.
    public var areas: [AreaReport]
    /// The bulk-sender requirements of Gmail/Yahoo and Microsoft, sorted by what can be known.
    public var readiness: BulkSenderReadiness
    /// How many DNS questions the audit asked, and how many the cache answered.
    public var dnsQueries: Int
    public var dnsCacheHits: Int

    public init(
        domain: String, timestamp: String, resolver: String, durationMilliseconds: Int, areas: [AreaReport],
        readiness: BulkSenderReadiness, dnsQueries: Int, dnsCacheHits: Int
    ) {
        self.domain = domain
        self.timestamp = timestamp
        self.resolver = resolver
        self.durationMilliseconds = durationMilliseconds
        self.areas = areas
        self.status = areas.map(\.status).max() ?? .pass
        self.readiness = readiness
        self.dnsQueries = dnsQueries
        self.dnsCacheHits = dnsCacheHits
    }

    /// Every finding of every area, most severe first.
    public var findings: [Finding] {
        areas.flatMap(\.findings).sorted { ($0.severity, $1.id) > ($1.severity, $0.id) }
    }

    /// Whether DNS failures kept some check from finishing.
    public var isIncomplete: Bool { areas.contains { $0.status == .incomplete } }

    /// The audit's verdict when findings at or above `threshold` count as failures.
    ///
    /// `incomplete` when DNS failures kept some area from finishing (this wins over `fail`: the
    /// list of problems is not complete); else `fail` when a finding is at or above `threshold`;
    /// else `pass`. The findings that only say an area could not be checked
    /// (``AuditArea/incompleteFindingID``) never count as failures: their area's status says it.
    public func verdict(failingAt threshold: Severity) -> Verdict {
        if isIncomplete { return .incomplete }
        let failing = areas.contains { area in
            area.findings.contains { $0.severity >= threshold && $0.id != area.area.incompleteFindingID }
        }
        return failing ? .fail : .pass
    }

    /// The area report for `area`.
    public subscript(area: AuditArea) -> AreaReport? { areas.first { $0.area == area } }
}
