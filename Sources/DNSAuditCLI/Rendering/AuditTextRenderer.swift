import Foundation
import DNSAudit
import MailAuthCore

/// The text report: grouped by area, a status mark per area, findings sorted by severity with
/// their fix, the bulk-sender readiness, and one summary line.
struct AuditTextRenderer {
    let terminal: Terminal
    let verbose: Bool

    func render(_ report: AuditReport) -> String {
        var lines: [String] = []
        lines.append(terminal.bold("dnsaudit \(report.domain)") + terminal.dim("  \(report.timestamp) · \(report.resolver) · \(report.durationMs) ms"))
        lines.append("")
        for area in report.areas {
            let title = area.area.title.padding(toLength: 8, withPad: " ", startingAt: 0)
            lines.append("\(mark(area.status)) \(terminal.bold(title)) \(label(area.status))  \(area.summary)")
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
        }
        lines.append("")
        lines.append(terminal.bold("Bulk-sender readiness") + terminal.dim(" (Gmail/Yahoo Feb 2024, Microsoft May 2025)"))
        for requirement in report.readiness.fromDNS {
            let symbol: String
            switch requirement.state {
            case .met?: symbol = terminal.green("✔")
            case .notMet?: symbol = terminal.red("✘")
            default: symbol = terminal.yellow("?")
            }
            lines.append("  \(symbol) \(requirement.title)" + (requirement.state == .met ? "" : terminal.dim(" — \(requirement.detail)")))
        }
        lines.append("  " + terminal.dim("needs `dnsaudit presend`: ") + report.readiness.needsPresend.map(\.title).joined(separator: "; "))
        lines.append("  " + terminal.dim("cannot be checked here: ") + report.readiness.cannotCheck.map(\.title).joined(separator: "; "))
        lines.append("")
        lines.append(summaryLine(report))
        return lines.joined(separator: "\n")
    }

    func summaryLine(_ report: AuditReport) -> String {
        let findings = report.findings
        let errors = findings.filter { $0.severity == .error }.count
        let warnings = findings.filter { $0.severity == .warning }.count
        let infos = findings.filter { $0.severity == .info }.count
        let verdict: String
        switch report.status {
        case .pass: verdict = terminal.green("PASS")
        case .warn: verdict = terminal.yellow("WARN")
        case .fail: verdict = terminal.red("FAIL")
        case .incomplete: verdict = terminal.yellow("INCOMPLETE (DNS failures; nothing is known to be missing)")
        }
        return "\(report.domain): \(verdict) — \(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"), \(infos) info"
    }

    private func mark(_ status: AreaStatus) -> String {
        switch status {
        case .pass: terminal.green("✔")
        case .warn: terminal.yellow("!")
        case .fail: terminal.red("✘")
        case .incomplete: terminal.yellow("?")
        }
    }

    private func label(_ status: AreaStatus) -> String {
        let text = status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
        switch status {
        case .pass: return terminal.green(text)
        case .warn: return terminal.yellow(text)
        case .fail: return terminal.red(text)
        case .incomplete: return terminal.yellow(text)
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
