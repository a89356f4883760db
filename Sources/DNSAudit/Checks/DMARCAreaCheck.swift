import DMARC
import DNSCore
import MailAuthCore

/// The DMARC area: both generations of policy discovery (RFC 9989 tree walk, RFC 7489 Public
/// Suffix List), report destinations and the lints.
struct DMARCAreaCheck {
    let domain: DomainName
    let resolver: any DNSResolver
    let publicSuffixList: PublicSuffixList
    let timeout: Duration

    struct Result {
        var report: AreaReport
        var inspection: DMARCDomainReport
    }

    func run() async -> Result {
        let inspection = await DMARCChecker(resolver: resolver, publicSuffixList: publicSuffixList, timeout: timeout)
            .check(domain)
        let modern = inspection.rfc9989
        let records = modern.steps.map { "RFC 9989 walk: \($0)" }
        let summary: String
        if let record = modern.record, let policyDomain = modern.policyDomain {
            // The tag that applies: an inherited record gives its sp (or np), not its p.
            let policy = modern.policy.map { "\(modern.appliedTag?.rawValue ?? "p")=\($0.rawValue)" } ?? "p=none (absent)"
            summary = "\(policy) from _dmarc.\(policyDomain)\(policyDomain == domain ? "" : " (inherited)")"
                + (record.testing ? ", t=y" : "") + "; organizational domain \(modern.organizationalDomain)"
        } else {
            summary = inspection.isComplete ? "no DMARC record applies" : "DNS failure"
        }
        let report = AreaReport(
            area: .dmarc, status: inspection.isComplete ? nil : .incomplete, summary: summary, records: records,
            findings: inspection.findings,
            data: modern.record.map { record in
                AreaData(dmarc: DMARCData(record: record, domain: (modern.policyDomain ?? domain).description))
            })
        return Result(report: report, inspection: inspection)
    }
}
