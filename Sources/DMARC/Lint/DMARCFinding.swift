import MailAuthCore
/// One observation about a domain's DMARC setup, with a stable id (`dmarc.policy-none`).
///
/// Field for field the shape of the audit's shared `Finding`, so the audit can map it one to one.
public struct DMARCFinding: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much a finding matters: the shared scale of every finding.
    public typealias Severity = MailAuthCore.Severity

    /// Stable identifier; programs match on it (see ``DMARCLint/ids``).
    public var id: String
    public var severity: Severity
    /// One line.
    public var title: String
    /// What it means and who is affected.
    public var detail: String
    /// The records, names and offsets that show it.
    public var evidence: [String]
    /// The RFC section it rests on (`RFC 9989 §4.7`).
    public var rfc: String
    /// What to change, when there is something to change.
    public var fix: String?

    public init(
        id: String, severity: Severity, title: String, detail: String, evidence: [String] = [], rfc: String,
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

    public var description: String { "[\(severity.rawValue)] \(id): \(title)" }
}

extension DMARCFinding {
    /// The same finding as the audit's shared ``MailAuthCore/Finding`` (evidence lines joined by newlines).
    public var finding: Finding {
        Finding(id: id, severity: severity, title: title, detail: detail,
                       evidence: evidence.isEmpty ? nil : evidence.joined(separator: "\n"), rfc: rfc, fix: fix)
    }
}
