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

    /// The question of the report this area answers.
    public var question: AuditQuestion {
        switch self {
        case .spf, .dkim, .dmarc: .sending
        case .mx, .mtaSts, .tlsRpt, .dnssec: .receiving
        case .bimi: .brand
        }
    }

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

/// The three questions an audit answers, in the order a report gives them: what makes mail fail
/// or land in spam first.
public enum AuditQuestion: String, Codable, Sendable, CaseIterable {
    /// "Will mail from DOMAIN authenticate?": SPF, DKIM, DMARC, alignment and the bulk-sender
    /// requirements (RFC 7208, RFC 6376, RFC 9989).
    case sending
    /// "Can others deliver to DOMAIN securely?": MX, MTA-STS, TLS-RPT and DNSSEC (RFC 5321 §5.1,
    /// RFC 8461, RFC 8460, RFC 4035).
    case receiving
    /// "Will receivers show the brand's logo?": BIMI.
    case brand

    /// The question, for a heading.
    public func title(domain: String) -> String {
        switch self {
        case .sending: "Will mail from \(domain) authenticate?"
        case .receiving: "Can others deliver to \(domain) securely?"
        case .brand: "Will receivers show \(domain)'s logo?"
        }
    }

    /// The areas that answer it, in report order.
    public var areas: [AuditArea] { AuditArea.allCases.filter { $0.question == self } }
}

/// How an area came out.
public enum AreaStatus: String, Codable, Sendable, Comparable {
    /// Nothing is published and nothing needs to be: an optional protection not in use (no
    /// MTA-STS, no BIMI, DNSSEC not validated), or an area not checked because the domain does
    /// not exist. Never a failure by itself.
    case absent
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
        case .absent: 0
        case .pass: 1
        case .warn: 2
        case .fail: 3
        case .incomplete: 4
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
    /// The records read, parsed (SPF terms, DMARC tags, MX hosts, DKIM key parameters), for
    /// programs.
    public var data: AreaData?
    /// The DNSSEC area only, when dnsaudit validated: each answer it validated and the result.
    public var dnssec: [DNSSECAnswerReport]?

    public init(
        area: AuditArea, status: AreaStatus? = nil, summary: String, records: [String] = [], findings: [Finding],
        data: AreaData? = nil, dnssec: [DNSSECAnswerReport]? = nil
    ) {
        self.data = data
        self.dnssec = dnssec
        let sorted = findings.sorted { ($0.severity, $1.id) > ($1.severity, $0.id) }
        self.area = area
        self.summary = summary
        self.records = records
        self.findings = sorted
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
    /// The version of this JSON's layout (docs/report-format.md): it changes when a key is
    /// renamed or removed or its meaning changes, never when a key is added.
    public static let currentSchemaVersion = 1

    /// The layout version of this report's JSON: ``currentSchemaVersion``.
    public var schemaVersion: Int = Self.currentSchemaVersion
    /// The domain audited.
    public var domain: String
    /// The domain's Unicode form (`bücher.example`) when ``domain`` holds A-labels
    /// (`xn--bcher-kva.example`, RFC 5891); `nil` otherwise. Set by whoever can decode them (the
    /// CLI, through libidn2); the audit itself works on A-labels only.
    public var domainUnicode: String?
    /// When the audit ran, RFC 3339 UTC.
    public var timestamp: String
    /// The resolver used (`ldns 127.0.0.1:53`, `zone example.zone`).
    public var resolver: String
    /// Wall time of the audit, in milliseconds.
    public var durationMs: Int
    /// The worst area status.
    public var status: AreaStatus
    /// Each area's result, in a fixed order.
    public var areas: [AreaReport]
    /// The bulk-sender requirements of Gmail/Yahoo and Microsoft, sorted by what can be known.
    public var readiness: BulkSenderReadiness
    /// How many DNS questions the audit asked.
    public var questions: Int
    /// How many of ``questions`` the shared cache answered.
    public var cacheHits: Int

    public init(
        domain: String, timestamp: String, resolver: String, durationMs: Int, areas: [AreaReport],
        readiness: BulkSenderReadiness, questions: Int, cacheHits: Int
    ) {
        self.domain = domain
        self.timestamp = timestamp
        self.resolver = resolver
        self.durationMs = durationMs
        self.areas = areas
        self.status = areas.map(\.status).max() ?? .pass
        self.readiness = readiness
        self.questions = questions
        self.cacheHits = cacheHits
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

    /// How the report answers `question`: the worst status of its areas (``AreaStatus/absent``
    /// when none of them is in use).
    public func status(of question: AuditQuestion) -> AreaStatus {
        areas.filter { $0.area.question == question }.map(\.status).max() ?? .absent
    }

    /// Whether the domain answered NXDOMAIN: the report then holds the one finding that says so.
    public var domainDoesNotExist: Bool {
        self[.mx]?.findings.contains { $0.id == AuditReport.nxdomainFindingID } ?? false
    }

    /// The id of the finding of a domain that does not exist.
    public static let nxdomainFindingID = "domain.nxdomain"
}
