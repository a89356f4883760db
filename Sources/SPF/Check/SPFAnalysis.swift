import MailAuthCore

/// Worst-case counts for one client address family (RFC 7208 §4.6.4).
public struct SPFLookupCount: Sendable, Hashable, Codable {
    /// DNS-querying terms (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`) a receiver evaluates
    /// when nothing matches before the end. Limit ``SPFLimits/maximumDNSMechanisms``.
    public var dnsLookups: Int
    /// Terms whose lookup answers NXDOMAIN or NODATA for this family, in the worst case: every
    /// `ptr` term (a client without reverse DNS) and every `exists` term with macros (one that does
    /// not match) counts, see ``SPFChecker``. Limit ``SPFLimits/maximumVoidLookups``.
    public var voidLookups: Int

    public init(dnsLookups: Int = 0, voidLookups: Int = 0) {
        self.dnsLookups = dnsLookups
        self.voidLookups = voidLookups
    }
}

/// One record in the include/redirect tree.
public struct SPFTreeNode: Sendable, Hashable, Codable {
    /// The domain whose record this is.
    public var domain: String
    /// The term that led here (`include:_spf.example.com`, `redirect=example.net`); `nil` at the top.
    public var via: String?
    /// The selected record, if there is exactly one.
    public var record: String?
    /// When the record could not be followed: `no record`, `loop`, `DNS failure …`, `syntax error …`.
    public var problem: String?
    /// DNS-querying terms in this record itself (not counting its children).
    public var dnsLookups: Int
    /// The included and redirected records, in evaluation order.
    public var children: [SPFTreeNode]

    public init(domain: String, via: String? = nil, record: String? = nil, problem: String? = nil, dnsLookups: Int = 0,
                children: [SPFTreeNode] = []) {
        self.domain = domain
        self.via = via
        self.record = record
        self.problem = problem
        self.dnsLookups = dnsLookups
        self.children = children
    }

    /// An indented text rendering of the tree.
    public func rendered(indent: Int = 0) -> String {
        let pad = String(repeating: "  ", count: indent)
        var line = pad + (via.map { "\($0) → " } ?? "") + domain
        line += " (\(dnsLookups) lookup\(dnsLookups == 1 ? "" : "s"))"
        if let problem { line += " [\(problem)]" }
        if let record { line += "\n\(pad)  \"\(record)\"" }
        return ([line] + children.map { $0.rendered(indent: indent + 1) }).joined(separator: "\n")
    }
}

/// The static analysis of a domain's SPF: no client address, the whole tree walked (the audit's
/// view, as opposed to ``SPFEvaluator``'s receiver view).
public struct SPFAnalysis: Sendable, Hashable, Codable {
    public var domain: String
    /// The top record, if exactly one was found.
    public var record: String?
    /// The include/redirect tree.
    public var tree: SPFTreeNode
    /// Worst-case counts for an IPv4 client.
    public var ipv4: SPFLookupCount
    /// Worst-case counts for an IPv6 client (an `a`/`mx` target without AAAA is void only here).
    public var ipv6: SPFLookupCount
    /// Every finding, most severe first.
    public var findings: [Finding]
    /// Whether DNS failures kept part of the tree from being read.
    public var incomplete: Bool

    public init(domain: String, record: String?, tree: SPFTreeNode, ipv4: SPFLookupCount, ipv6: SPFLookupCount,
                findings: [Finding], incomplete: Bool) {
        self.domain = domain
        self.record = record
        self.tree = tree
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.findings = findings
        self.incomplete = incomplete
    }
}
