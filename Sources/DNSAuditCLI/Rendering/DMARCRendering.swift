import DMARC
import MailAuthCore

/// `dnsaudit dmarc`'s report for a person: each generation's discovery, the report destinations, the
/// findings and a count line.
enum DMARCRendering {
    static func text(_ report: DMARCDomainReport) -> String {
        var lines = ["DMARC for \(report.domain)"]
        for discovery in [report.rfc9989, report.rfc7489] {
            lines.append("")
            lines += section(discovery)
        }
        if !report.reportAuthorizations.isEmpty {
            lines.append("")
            lines.append("Report destinations")
            for entry in report.reportAuthorizations {
                let status: String
                switch entry.status {
                case .sameOrganization: status = "same organization"
                case .authorized: status = "authorized by \(entry.queriedName?.description ?? "")"
                case .notAuthorized: status = "NOT authorized (no v=DMARC1 at \(entry.queriedName?.description ?? "-"))"
                case .unknown: status = "unknown: \(entry.failure?.description ?? "DNS failure")"
                }
                lines.append("  \(entry.tag) \(entry.uri): \(status)")
            }
        }
        lines.append("")
        if report.findings.isEmpty {
            lines.append("Findings: none")
        } else {
            lines.append("Findings")
            for finding in report.findings {
                lines.append("  [\(finding.severity.rawValue)] \(finding.id): \(finding.title)")
                lines.append("      \(finding.detail)")
                for evidence in finding.evidence { lines.append("      · \(evidence)") }
                if let fix = finding.fix { lines.append("      fix: \(fix)") }
                if let rfc = finding.rfc { lines.append("      (\(rfc))") }
            }
        }
        let count = { (severity: Severity) in report.findings.filter { $0.severity == severity }.count }
        lines.append("")
        lines.append(
            "\(report.domain): \(count(.error)) errors, \(count(.warning)) warnings, \(count(.info)) notes; "
                + (report.isComplete ? "complete" : "INCOMPLETE (DNS failures)"))
        return lines.joined(separator: "\n")
    }

    private static func section(_ discovery: PolicyDiscovery) -> [String] {
        var lines: [String] = []
        switch discovery.generation {
        case .rfc9989: lines.append("RFC 9989 (DNS tree walk)")
        case .rfc7489: lines.append("RFC 7489 (Public Suffix List: \(discovery.publicSuffixListSource ?? "?"))")
        }
        lines.append("  queries:")
        let width = discovery.steps.map { "_dmarc.\($0.domain)".count }.max() ?? 0
        for step in discovery.steps {
            let name = "_dmarc.\(step.domain)"
            lines.append("    " + name + String(repeating: " ", count: width - name.count + 2) + step.outcome.description)
        }
        if let stop = discovery.walkStop {
            let reason: String
            switch stop {
            case .publicSuffixDomainRecord: reason = "a psd=y record"
            case .organizationalDomainRecord: reason = "a psd=n record"
            case .reachedTopLevel: reason = "reached the top-level domain"
            case .temporaryError: reason = "a DNS failure"
            }
            lines.append("    (walk stopped: \(reason))")
        }
        lines.append("  Organizational Domain: \(discovery.organizationalDomain)")
        switch discovery.status {
        case .found:
            let source = discovery.source.map { source -> String in
                switch source {
                case .authorDomain: "the Author Domain"
                case .organizationalDomain: "the Organizational Domain"
                case .publicSuffixDomain: "the Public Suffix Domain"
                }
            } ?? "?"
            lines.append("  record: _dmarc.\(discovery.policyDomain?.description ?? "?") (\(source))")
            if let record = discovery.record { lines.append("    \(record.text)") }
            var why = ""
            if let exists = discovery.authorDomainExists {
                why = exists ? " (the Author Domain exists)" : " (the Author Domain does not exist)"
            }
            lines.append("  policy: \(discovery.appliedTag?.rawValue ?? "p")=\(discovery.policy?.rawValue ?? "?")\(why)")
            if discovery.generation == .rfc9989, discovery.record?.testing == true, let p = discovery.policy, p != .none {
                lines.append("    t=y: receivers apply \(p.oneLevelLower.rawValue)")
            }
            if discovery.generation == .rfc7489, let pct = discovery.record?.percentage, pct < 100, let p = discovery.policy {
                lines.append("    pct=\(pct): \(p.rawValue) for \(pct)% of failing mail, \(p.oneLevelLower.rawValue) for the rest")
            }
        case .noRecord:
            lines.append("  policy: none found: DMARC does not apply")
        case .notApplied(let reason):
            lines.append("  policy: record not applied (\(reason == .missingPolicy ? "no p tag" : "invalid p, sp or np") and no valid rua)")
        case .temporaryError(let failure):
            lines.append("  policy: unknown (temporary error: \(failure))")
        }
        return lines
    }
}
