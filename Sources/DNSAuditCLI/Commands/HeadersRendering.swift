import Foundation
import MailAuthCore
import MessageAnalysis

/// The text reports of `headers analyze` and `bounce analyze`.
enum HeadersRendering {
    static func text(_ analysis: HeaderAnalysis, indent: String = "") -> String {
        var lines: [String] = []
        func add(_ line: String) { lines.append(indent + line) }
        let s = analysis.summary
        if !s.from.isEmpty { add("From:        \(s.from.joined(separator: " | "))") }
        if let to = s.to { add("To:          \(to)") }
        if let subject = s.subject { add("Subject:     \(subject.prefix(120))") }
        add("Message-ID:  \(s.messageID ?? "(none)")")
        add("Date:        \(s.date ?? "(none)")")
        if let returnPath = s.returnPath { add("Return-Path: \(returnPath.isEmpty ? "<>" : returnPath)") }

        add("")
        add("Path (\(analysis.received.hops.count) hops, first relay first):")
        let hops = analysis.received.hops
        let shown = hops.count > 40 ? Array(hops.prefix(20)) + Array(hops.suffix(20)) : hops
        for (position, hop) in shown.enumerated() {
            if hops.count > 40, position == 20 { add("  … \(hops.count - 40) hops not shown (--format json has them all)") }
            let f = hop.field
            var line = "  \(hop.number). \(f.from ?? "?")"
            if let ip = f.fromIP { line += " [\(ip)]" }
            line += " → \(f.by ?? "?")"
            if let with = f.with { line += " (\(with.prefix(40)))" }
            switch hop.delay {
            case .first: break
            case .normal: line += "  +\(duration(hop.delaySeconds ?? 0))"
            case .clockSkew: line += "  \(duration(hop.delaySeconds ?? 0)) (clock skew: this server's clock is behind)"
            case .unknown: line += "  (delay unknown)"
            }
            if !f.deviations.isEmpty { line += "  [\(f.deviations.map(\.rawValue).joined(separator: ", "))]" }
            add(line)
        }

        add("")
        if let boundary = analysis.trustBoundary {
            add("Trust boundary (\(boundary.source.rawValue)): \(boundary.receiver ?? "no receiving hop identified")\(boundary.hop.map { ", hop \($0)" } ?? "")")
            add("  client IP \(boundary.ip ?? "unknown"), HELO \(boundary.helo ?? "unknown"), MAIL FROM \(boundary.mailFrom.map { $0.isEmpty ? "<>" : $0 } ?? "unknown")")
        } else {
            add("Trust boundary: not found")
        }

        add("")
        add("What the receiver recorded:")
        if analysis.receiverVerdicts.isEmpty { add("  (no Authentication-Results field)") }
        let trustedID = analysis.authenticationResults.first(where: \.trusted)?.results.authservID
        if let trustedID { add("  Authentication-Results by \(trustedID)") }
        for verdict in analysis.receiverVerdicts {
            add("  \(verdict.method)=\(verdict.result)\(verdict.identity.map { " (\($0))" } ?? "")\(verdict.note.map { "  \($0.prefix(80))" } ?? "")")
        }

        let r = analysis.reevaluation
        add("")
        switch r.status {
        case .notChecked:
            add("As evaluated now: not checked (\(r.reason ?? ""))")
        case .evaluated:
            add("As evaluated now\(r.evaluatedAt.map { " (\(ISO8601DateFormatter().string(from: $0)))" } ?? ""):")
            for spf in r.spf { add("  spf=\(spf.result) for \(spf.identity) \(spf.domain) from \(spf.ip)\(spf.detail.map { ": \($0)" } ?? "")") }
            for dkim in r.dkim { add("  dkim=\(dkim.result) d=\(dkim.domain ?? "?") s=\(dkim.selector ?? "?"): \(dkim.reason)") }
            if let dmarc = r.dmarc {
                add("  dmarc=\(dmarc.result) for \(dmarc.fromDomain)\(dmarc.policy.map { " (p=\($0))" } ?? "")\(dmarc.aligned.isEmpty ? ", nothing aligned" : ", aligned: \(dmarc.aligned.joined(separator: ", "))")")
            }
            for difference in r.differences {
                add("  ≠ \(difference.method): receiver \(difference.receiver), now \(difference.now): \(difference.explanation)")
            }
        }
        if let arc = analysis.arc {
            add("")
            add("ARC chain: \(arc.status.rawValue)\(arc.reason.map { " (\($0))" } ?? "")")
            for instance in arc.instances {
                let seen = instance.authenticationResults?.results.map { "\($0.method)=\($0.result)" }.joined(separator: " ") ?? ""
                add("  i=\(instance.instance) sealed by \(instance.sealDomain ?? "?") cv=\(instance.claimedChainStatus ?? "?"); saw: \(seen)")
            }
        }
        if !analysis.findings.isEmpty {
            add("")
            add("Findings:")
            for finding in analysis.findings { lines += findingLines(finding, indent: indent + "  ") }
        }
        return lines.joined(separator: "\n")
    }

    static func text(_ report: BounceReport) -> String {
        var lines: [String] = []
        if let from = report.from { lines.append("Bounce from: \(from)") }
        if let subject = report.subject { lines.append("Subject:     \(subject.prefix(120))") }
        lines.append("Read as:     \(report.format?.rawValue ?? "nothing recognised")\(report.reportingMTA.map { ", reported by \($0)" } ?? "")")
        for recipient in report.recipients {
            let c = recipient.classification
            lines.append("")
            lines.append("\(recipient.recipient): \(recipient.action?.rawValue ?? "?"), \(c.kind.rawValue.uppercased()) bounce")
            if let status = recipient.status {
                let inferred = recipient.statusSource == .inferred ? " (inferred: the bounce gives none)" : ""
                lines.append("  status    \(status)\(inferred): \([c.statusClass, c.subject, c.detail].compactMap { $0 }.joined(separator: "; "))")
            }
            if let diagnostic = recipient.diagnostic { lines.append("  server    \(diagnostic.prefix(300))") }
            if let remote = recipient.remoteMTA { lines.append("  remote    \(remote)") }
            if let command = recipient.smtpCommand { lines.append("  refused   at \(command)") }
            lines.append("  why       \(c.kindReason)")
            lines.append("  meaning   \(c.explanation.meaning)")
            lines.append("  fix       \(c.fix)")
            if let command = c.command { lines.append("  prove it  \(command)") }
        }
        if let original = report.original {
            lines.append("")
            lines.append("The original message (\(report.originalSource ?? "")):")
            lines.append(text(original, indent: "  "))
        }
        if !report.conclusions.isEmpty {
            lines.append("")
            lines.append("Conclusion:")
            for conclusion in report.conclusions { lines.append("  - \(conclusion)") }
        }
        if !report.problems.isEmpty {
            lines.append("")
            lines.append("Could not read:")
            for problem in report.problems { lines.append("  \(problem)") }
        }
        return lines.joined(separator: "\n")
    }

    static func findingLines(_ finding: Finding, indent: String) -> [String] {
        var lines = ["\(indent)[\(finding.severity.rawValue)] \(finding.title) (\(finding.id))", "\(indent)    \(finding.detail)"]
        for line in finding.evidence.prefix(10) { lines.append("\(indent)    | \(line.prefix(200))") }
        if let fix = finding.fix { lines.append("\(indent)    fix: \(fix)") }
        return lines
    }

    static func duration(_ seconds: Double) -> String {
        let sign = seconds < 0 ? "-" : ""
        let value = abs(seconds)
        if value < 120 { return "\(sign)\(String(format: value < 10 && value != value.rounded() ? "%.1f" : "%.0f", value)) s" }
        if value < 7_200 { return "\(sign)\(Int(value / 60)) min" }
        return "\(sign)\(String(format: "%.1f", value / 3_600)) h"
    }
}
