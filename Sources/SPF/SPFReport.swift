import MailAuthCore

/// What `dnsaudit spf` reports about a domain: the check of its SPF tree (``SPFChecker``) and,
/// for a client address, the receiver's evaluation (``SPFEvaluator``). Its JSON field names are
/// documented and stable.
///
/// In JSON, `trace` holds the evaluation's ``SPFTrace`` when there is an evaluation, else the
/// include/redirect tree (``SPFTreeNode``); `record`, `result`, `explanation` and `matchedTerm`
/// are always present (`null` when absent), the other optional fields only when set.
public struct SPFReport: Encodable, Sendable {
    public var domain: String
    /// The domain's SPF record, when it has exactly one.
    public var record: String?
    /// The client address evaluated.
    public var ip: String?
    /// The sender given to check_host(): the MAIL FROM, or `postmaster@<helo>` for a null one.
    public var sender: String?
    public var helo: String?
    /// The check_host() result; `nil` for the check alone.
    public var result: SPFResult?
    public var explanation: String?
    public var matchedTerm: String?
    public var matchedIn: String?
    /// With an evaluation: the DNS-querying terms it evaluated; without: the worst case over both
    /// address families (RFC 7208 §4.6.4).
    public var dnsLookups: Int
    public var voidLookups: Int
    /// The worst-case counts per family (the check alone).
    public var ipv4: SPFLookupCount?
    public var ipv6: SPFLookupCount?
    /// Why the result is none, permerror or temperror.
    public var problem: String?
    /// Whether DNS failures kept part of the tree from being read.
    public var incomplete: Bool
    /// With an evaluation: every term evaluated and the queries it made.
    public var trace: SPFTrace?
    /// Without: the include/redirect tree.
    public var tree: SPFTreeNode?
    /// The check's findings, most severe first.
    public var findings: [Finding]

    /// The report of the check alone: worst-case counts and the tree.
    public init(analysis: SPFAnalysis) {
        domain = analysis.domain
        record = analysis.record
        dnsLookups = max(analysis.ipv4.dnsLookups, analysis.ipv6.dnsLookups)
        voidLookups = max(analysis.ipv4.voidLookups, analysis.ipv6.voidLookups)
        ipv4 = analysis.ipv4
        ipv6 = analysis.ipv6
        incomplete = analysis.incomplete
        tree = analysis.tree
        findings = analysis.findings
    }

    /// The report of the check and of one evaluation of the domain (`sender` and `helo` as given
    /// to check_host()).
    public init(analysis: SPFAnalysis, evaluation: SPFEvaluation, sender: String, helo: String) {
        domain = analysis.domain
        record = analysis.record
        ip = evaluation.ip
        self.sender = sender
        self.helo = helo
        result = evaluation.result
        explanation = evaluation.explanation
        matchedTerm = evaluation.matchedTerm
        matchedIn = evaluation.matchedIn
        dnsLookups = evaluation.dnsLookups
        voidLookups = evaluation.voidLookups
        problem = evaluation.problem
        incomplete = analysis.incomplete
        trace = evaluation.trace
        findings = analysis.findings
    }

    /// Whether the answer is not known: the evaluation gave `temperror`, or, for the check alone,
    /// DNS failures kept part of the tree from being read.
    public var isIncomplete: Bool { result.map { $0 == .temperror } ?? incomplete }

    enum CodingKeys: String, CodingKey {
        case domain, record, ip, sender, helo, result, explanation, matchedTerm, matchedIn, dnsLookups, voidLookups
        case ipv4, ipv6, problem, incomplete, trace, findings
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(domain, forKey: .domain)
        try container.encodeIfPresent(record, forKey: .record)
        try container.encodeIfPresent(ip, forKey: .ip)
        try container.encodeIfPresent(sender, forKey: .sender)
        try container.encodeIfPresent(helo, forKey: .helo)
        try container.encodeIfPresent(result, forKey: .result)
        try container.encodeIfPresent(explanation, forKey: .explanation)
        try container.encodeIfPresent(matchedTerm, forKey: .matchedTerm)
        try container.encodeIfPresent(matchedIn, forKey: .matchedIn)
        try container.encode(dnsLookups, forKey: .dnsLookups)
        try container.encode(voidLookups, forKey: .voidLookups)
        try container.encodeIfPresent(ipv4, forKey: .ipv4)
        try container.encodeIfPresent(ipv6, forKey: .ipv6)
        try container.encodeIfPresent(problem, forKey: .problem)
        try container.encode(incomplete, forKey: .incomplete)
        if let trace { try container.encode(trace, forKey: .trace) } else { try container.encodeIfPresent(tree, forKey: .trace) }
        try container.encode(findings, forKey: .findings)
    }
}
