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

/// One thing a check found: the single finding type of the SPF, DKIM and DMARC lints, the audit
/// engine and the reports built on them.
///
/// ``id`` is stable (`spf.lookup-limit`) so programs can match on it; the other fields are for
/// people.
///
/// In JSON the ``evidence`` lines are one string, joined by newlines, and absent when there are
/// none (the audit report's documented form, see ``EvidenceCoding``); decoding gives that string
/// back as one line.
public struct Finding: Codable, Sendable, Hashable {
    /// Stable identifier, `<protocol>.<check>` (`spf.lookup-limit`).
    public var id: String
    /// How much it matters.
    public var severity: Severity
    /// One line, for a list.
    public var title: String
    /// What exactly is wrong, and why it matters.
    public var detail: String
    /// The record texts, names and answers that show it, one a line.
    public var evidence: [String]
    /// The RFC section that says so (`RFC 7208 §4.6.4`).
    public var rfc: String?
    /// What to change.
    public var fix: String?

    public init(
        id: String, severity: Severity, title: String, detail: String, evidence: [String] = [], rfc: String? = nil,
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

    enum CodingKeys: String, CodingKey {
        case id, severity, title, detail, evidence, rfc, fix
    }

    /// How ``evidence`` is written in JSON.
    public enum EvidenceCoding: Sendable {
        /// One string, the lines joined by newlines, absent when there are none: the audit
        /// report's form, and `Codable`'s.
        case joined
        /// A list of lines, empty when there are none: the DMARC report's form.
        case list
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, evidence: .joined)
    }

    public func encode(to encoder: any Encoder) throws {
        try encode(to: encoder, evidence: .joined)
    }

    /// Decodes a finding whose ``evidence`` is in the form `coding`; a joined string comes back
    /// as one line.
    public init(from decoder: any Decoder, evidence coding: EvidenceCoding) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        severity = try container.decode(Severity.self, forKey: .severity)
        title = try container.decode(String.self, forKey: .title)
        detail = try container.decode(String.self, forKey: .detail)
        switch coding {
        case .joined: evidence = try container.decodeIfPresent(String.self, forKey: .evidence).map { [$0] } ?? []
        case .list: evidence = try container.decode([String].self, forKey: .evidence)
        }
        rfc = try container.decodeIfPresent(String.self, forKey: .rfc)
        fix = try container.decodeIfPresent(String.self, forKey: .fix)
    }

    /// Encodes the finding with its ``evidence`` in the form `coding`.
    public func encode(to encoder: any Encoder, evidence coding: EvidenceCoding) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(severity, forKey: .severity)
        try container.encode(title, forKey: .title)
        try container.encode(detail, forKey: .detail)
        switch coding {
        case .joined: if !evidence.isEmpty { try container.encode(evidence.joined(separator: "\n"), forKey: .evidence) }
        case .list: try container.encode(evidence, forKey: .evidence)
        }
        try container.encodeIfPresent(rfc, forKey: .rfc)
        try container.encodeIfPresent(fix, forKey: .fix)
    }
}
