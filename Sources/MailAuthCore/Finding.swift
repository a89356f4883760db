/// How much a finding matters. Ordered: `info < warning < error`.
public enum Severity: String, Codable, Sendable, Comparable, CaseIterable {
    /// Worth knowing; nothing is broken.
    case info
    /// Works today but is fragile, deprecated or likely not what the owner meant.
    case warning
    /// Breaks authentication for some or all mail.
    case error

    private var rank: Int {
        switch self {
        case .info: 0
        case .warning: 1
        case .error: 2
        }
    }

    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }
}

/// One thing an audit found, shared by the SPF, DKIM and DMARC analyses and the audit engine.
///
/// ``id`` is stable (`spf.lookup-limit`) so programs can match on it; the other fields are for
/// people.
public struct Finding: Codable, Sendable, Hashable {
    /// Stable identifier, `<protocol>.<check>` (`spf.lookup-limit`).
    public var id: String
    /// How much it matters.
    public var severity: Severity
    /// One line, for a list.
    public var title: String
    /// What exactly is wrong, and why it matters.
    public var detail: String
    /// The record text or DNS data that shows it.
    public var evidence: String?
    /// The RFC section that says so (`RFC 7208 §4.6.4`).
    public var rfc: String?
    /// What to change.
    public var fix: String?

    public init(
        id: String, severity: Severity, title: String, detail: String, evidence: String? = nil, rfc: String? = nil,
        fix: String? = nil
    ) {
        self.id = id
        self.severity = severity
        self.title = title
        self.detail = detail
        self.evidence = evidence
        self.rfc = rfc
        self.fix = fix
    }
}
