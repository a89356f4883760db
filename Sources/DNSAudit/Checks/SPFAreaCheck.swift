import DNSCore
import MailAuthCore
import SPF

/// The SPF area: the static analysis of the include/redirect tree (RFC 7208, no client IP).
struct SPFAreaCheck {
    let domain: DomainName
    let resolver: any DNSResolver
    let timeout: Duration

    struct Result {
        var report: AreaReport
        var analysis: SPFAnalysis
    }

    func run() async -> Result {
        let analysis = await SPFChecker(resolver: resolver, timeout: timeout).check(domain)
        let limit = SPFLimits.maximumDNSMechanisms
        let summary: String
        if let record = analysis.record {
            summary = "\(record.count > 70 ? String(record.prefix(67)) + "…" : record) — "
                + "\(analysis.ipv4.dnsLookups)/\(limit) lookups (IPv4), \(analysis.ipv6.dnsLookups)/\(limit) (IPv6)"
        } else {
            summary = analysis.incomplete ? "DNS failure" : "no SPF record"
        }
        let records = analysis.tree.rendered().renderedLines
        let report = AreaReport(
            area: .spf, status: analysis.incomplete ? .incomplete : nil, summary: summary, records: records,
            findings: analysis.findings, data: analysis.record.flatMap(SPFData.init(record:)).map { AreaData(spf: $0) })
        return Result(report: report, analysis: analysis)
    }

    /// Whether the record is exactly `v=spf1 -all`: no host may send mail for the domain.
    static func sendsNoMail(_ analysis: SPFAnalysis) -> Bool {
        guard let record = analysis.record else { return false }
        return record.lowercased().split(separator: " ") == ["v=spf1", "-all"]
    }

    /// Every domain in the tree (for inferring DKIM selectors from providers).
    static func domains(_ node: SPFTreeNode) -> [String] {
        [node.domain] + node.children.flatMap(domains)
    }
}
