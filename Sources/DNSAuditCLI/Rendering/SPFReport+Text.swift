import MailAuthCore
import SPF

extension SPFReport {
    /// The report for a person: the evaluation (with --ip) or the check's counts, then the
    /// findings and a count line; `showTrace` adds the evaluation's trace or the tree.
    func text(showTrace: Bool) -> String {
        var lines: [String] = []
        let limit = SPFLimits.maximumDNSMechanisms
        let voidLimit = SPFLimits.maximumVoidLookups
        if let result, let ip {
            lines.append("SPF \(domain) for \(ip) (sender \(sender ?? "-"), helo \(helo ?? "-")): \(result)")
            if let matchedTerm { lines.append("  matched:     \(matchedTerm)\(matchedIn.map { " in \($0)" } ?? "")") }
            if let explanation { lines.append("  explanation: \(explanation)") }
            if let problem { lines.append("  why:         \(problem)") }
            lines.append("  lookups:     \(dnsLookups)/\(limit) DNS-querying terms, \(voidLookups)/\(voidLimit) void")
            if showTrace, let trace { lines.append(""); lines.append(trace.rendered(indent: 1)) }
        } else {
            lines.append("SPF \(domain)")
            lines.append("  record: " + (record.map { "\"\($0)\"" } ?? "none"))
            if let ipv4, let ipv6 {
                lines.append("  IPv4 senders: \(ipv4.dnsLookups)/\(limit) DNS lookups, \(ipv4.voidLookups)/\(voidLimit) void")
                lines.append("  IPv6 senders: \(ipv6.dnsLookups)/\(limit) DNS lookups, \(ipv6.voidLookups)/\(voidLimit) void")
            }
            if incomplete { lines.append("  incomplete: DNS failures kept part of the tree from being read") }
            if showTrace, let tree { lines.append(""); lines.append(tree.rendered(indent: 1)) }
        }
        if !findings.isEmpty {
            lines.append("")
            for finding in findings {
                lines.append("  \(finding.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(finding.id): \(finding.title)")
                for detailLine in finding.detail.split(separator: "\n", omittingEmptySubsequences: false) {
                    lines.append("          \(detailLine)")
                }
                if let fix = finding.fix { lines.append("          fix: \(fix) (\(finding.rfc ?? "RFC 7208"))") }
            }
        }
        let counts = Dictionary(grouping: findings, by: \.severity).mapValues(\.count)
        lines.append("")
        lines.append("\(counts[.error] ?? 0) error(s), \(counts[.warning] ?? 0) warning(s), \(counts[.info] ?? 0) note(s)")
        return lines.joined(separator: "\n")
    }
}
