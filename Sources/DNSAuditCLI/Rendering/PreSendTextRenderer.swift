import DNSAudit

/// The pre-send report for a person: a verdict line, then one line per check, with the detail and
/// the fix under each check that did not pass.
struct PreSendTextRenderer {
    let terminal: Terminal
    /// Also show passing checks' detail, and every check's evidence and RFC.
    let verbose: Bool

    func render(_ report: PreSendReport) -> String {
        var lines: [String] = []
        let failed = report.checks(.fail).count
        let incomplete = report.checks(.incomplete).count
        let warnings = report.checks(.warning).count
        var head: String
        switch report.verdict {
        case .pass:
            head = terminal.green("PASS") + ": the message will authenticate"
        case .fail:
            head = terminal.red("FAIL") + ": \(failed) check\(failed == 1 ? "" : "s") failed: do not send the message as it is"
        case .incomplete:
            head = terminal.yellow("INCOMPLETE")
                + ": DNS failures kept \(incomplete) check\(incomplete == 1 ? "" : "s") from finishing (nothing is known to be missing); retry"
        }
        if warnings > 0 { head += " (\(warnings) warning\(warnings == 1 ? "" : "s"))" }
        lines.append("dnsaudit presend: " + head)
        var context = "From domain \(report.fromDomain ?? "?"), MAIL FROM \(report.mailFrom.isEmpty ? "<>" : report.mailFrom)"
        if let helo = report.helo { context += ", HELO \(helo)" }
        context += ", egress " + report.egressIPs.joined(separator: " ")
        lines.append("  " + context)
        for check in report.checks {
            let subject = check.subject.map { " [\($0)]" } ?? ""
            lines.append("\(mark(check.status)) \(check.id)\(subject): \(check.summary)")
            let showDetail = verbose || (check.status != .pass && check.status != .skipped)
            if showDetail, let detail = check.detail { lines.append(indent(detail, "      ")) }
            if check.status != .pass, let fix = check.fix { lines.append(indent("fix: " + fix, "      ")) }
            if verbose || check.status == .fail || check.status == .incomplete {
                if verbose, let rfc = check.rfc { lines.append("      see \(rfc)") }
                if verbose || check.id == PreSendCheckID.spf || check.id == PreSendCheckID.dmarc {
                    for line in check.evidence where verbose || check.status != .pass {
                        lines.append("      | " + line)
                    }
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    private func mark(_ status: PreSendCheckStatus) -> String {
        switch status {
        case .pass: terminal.green("pass")
        case .skipped: "skip"
        case .warning: terminal.yellow("warn")
        case .incomplete: terminal.yellow("incomplete")
        case .fail: terminal.red("FAIL")
        }
    }

    private func indent(_ text: String, _ prefix: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
    }
}
