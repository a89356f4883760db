import Foundation
import DNSAudit
import IDNA
import MailAuthCore

/// The text report, in the order of the questions a reader asks: will my mail authenticate
/// (SPF, DKIM, DMARC, the bulk-sender requirements), can others deliver to me securely (MX,
/// MTA-STS, TLS-RPT, DNSSEC), will my logo show (BIMI). Each question gets its verdict, each area
/// a mark that agrees with its findings, each finding its fix; the last line gives one verdict
/// per question.
struct AuditTextRenderer {
    let terminal: Terminal
    let verbose: Bool
    /// Standard output is a terminal: the header names the resolver's kind only, not every zone
    /// file (the full description is in `--verbose` and in the JSON).
    var shortHeader = false
    /// `--quiet`: the summary line only.
    var quiet = false

    func render(_ report: AuditReport) -> String {
        if quiet { return summaryLine(report) }
        var lines: [String] = []
        lines.append(header(report))
        if report.domainDoesNotExist {
            lines.append("")
            if let mx = report[.mx] { lines += areaLines(mx) }
            lines.append("")
            lines.append(summaryLine(report))
            return lines.joined(separator: "\n")
        }
        for question in AuditQuestion.allCases {
            lines.append("")
            lines.append(terminal.bold(question.title(domain: report.domain)) + "  " + word(report.status(of: question)))
            for area in report.areas where area.area.question == question {
                lines += areaLines(area)
            }
            if question == .sending { lines += readinessLines(report) }
        }
        lines.append("")
        lines.append(summaryLine(report))
        return lines.joined(separator: "\n")
    }

    private func header(_ report: AuditReport) -> String {
        let resolver: String
        if shortHeader && !verbose {
            // "zone a.zone, b.zone, 3 more files (offline: …)" → "zone files (offline)".
            let kind = report.resolver.split(separator: " ", maxSplits: 1).first.map(String.init) ?? report.resolver
            let offline = report.resolver.contains("offline")
            resolver = kind == "zone" ? "zone files" + (offline ? " (offline)" : "") : report.resolver
        } else {
            resolver = report.resolver
        }
        // An internationalized domain in both forms: as people write it, and as DNS carries it.
        let name = IDNA.unicode(report.domain).map { "\($0) (\(report.domain))" } ?? report.domain
        return terminal.bold("dnsaudit \(name)")
            + terminal.dim("  \(report.timestamp) · \(resolver) · \(report.durationMs) ms")
    }

    private func areaLines(_ area: AreaReport) -> [String] {
        var lines: [String] = []
        let title = area.area.title.padding(toLength: 8, withPad: " ", startingAt: 0)
        lines.append("\(mark(area.status)) \(terminal.bold(title)) \(area.summary)")
        if verbose {
            for record in area.records { lines.append("      " + terminal.dim(record)) }
        }
        for finding in area.findings {
            lines.append("    \(severity(finding.severity)) \(finding.title) \(terminal.dim("[\(finding.id)]"))")
            if verbose || finding.severity != .info {
                lines.append("        \(finding.detail)")
                if verbose {
                    for line in finding.evidence.flatMap({ $0.split(separator: "\n") }) {
                        lines.append("        " + terminal.dim("│ " + line))
                    }
                }
                if let fix = finding.fix { lines.append("        " + terminal.blue("fix: ") + fix) }
                if let rfc = finding.rfc, verbose { lines.append("        " + terminal.dim(rfc)) }
            }
        }
        return lines
    }

    private func readinessLines(_ report: AuditReport) -> [String] {
        var lines: [String] = []
        lines.append("  " + terminal.bold("Bulk-sender readiness") + terminal.dim(" (Gmail/Yahoo Feb 2024, Microsoft May 2025)"))
        for requirement in report.readiness.fromDNS {
            let symbol: String
            switch requirement.state {
            case .met?: symbol = terminal.green("✔")
            case .notMet?: symbol = terminal.red("✘")
            default: symbol = terminal.yellow("?")
            }
            lines.append("  \(symbol) \(requirement.title)" + (requirement.state == .met ? "" : terminal.dim(" — \(requirement.detail)")))
        }
        lines.append("    " + terminal.dim("needs `dnsaudit presend`: ") + report.readiness.needsPresend.map(\.title).joined(separator: "; "))
        lines.append("    " + terminal.dim("cannot be checked here: ") + report.readiness.cannotCheck.map(\.title).joined(separator: "; "))
        return lines
    }

    /// `DOMAIN: sending FAIL · receiving WARN · brand not in use — 4 errors, 9 warnings, 5 info`.
    func summaryLine(_ report: AuditReport) -> String {
        let domain = IDNA.unicode(report.domain).map { "\($0) (\(report.domain))" } ?? report.domain
        if report.domainDoesNotExist {
            return "\(domain): \(terminal.red("FAIL")) — the domain does not exist"
        }
        let findings = report.findings
        let errors = findings.filter { $0.severity == .error }.count
        let warnings = findings.filter { $0.severity == .warning }.count
        let infos = findings.filter { $0.severity == .info }.count
        let verdicts = AuditQuestion.allCases.map { "\($0.rawValue) \(word(report.status(of: $0)))" }.joined(separator: " · ")
        var line = "\(domain): \(verdicts) — \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"), \(infos) info"
        if report.isIncomplete { line += terminal.yellow(" (INCOMPLETE: DNS failures; nothing is known to be missing)") }
        return line
    }

    private func word(_ status: AreaStatus) -> String {
        switch status {
        case .absent: terminal.dim("not in use")
        case .pass: terminal.green("PASS")
        case .warn: terminal.yellow("WARN")
        case .fail: terminal.red("FAIL")
        case .incomplete: terminal.yellow("INCOMPLETE")
        }
    }

    private func mark(_ status: AreaStatus) -> String {
        switch status {
        case .absent: terminal.dim("–")
        case .pass: terminal.green("✔")
        case .warn: terminal.yellow("!")
        case .fail: terminal.red("✘")
        case .incomplete: terminal.yellow("?")
        }
    }

    private func severity(_ severity: Severity) -> String {
        switch severity {
        case .error: terminal.red("error  ")
        case .warning: terminal.yellow("warning")
        case .info: terminal.dim("info   ")
        }
    }
}
