extension PreSendReport {
    /// The report for a person: a verdict line, then one line per check, with the detail and the
    /// fix under each check that did not pass.
    ///
    /// - Parameters:
    ///   - verbose: also show passing checks' detail and every check's evidence.
    ///   - paint: wraps text in a colour (`"31"` red, `"33"` yellow, `"32"` green); identity by default.
    public func renderedText(verbose: Bool = false, paint: (String, String) -> String = { text, _ in text }) -> String {
        var lines: [String] = []
        let failed = checks(.fail).count
        let incomplete = checks(.incomplete).count
        let warnings = checks(.warning).count
        var head: String
        switch verdict {
        case .pass:
            head = paint("PASS", "32") + ": the message will authenticate"
        case .fail:
            head = paint("FAIL", "31") + ": \(failed) check\(failed == 1 ? "" : "s") failed: do not send the message as it is"
        case .incomplete:
            head = paint("INCOMPLETE", "33")
                + ": DNS failures kept \(incomplete) check\(incomplete == 1 ? "" : "s") from finishing (nothing is known to be missing); retry"
        }
        if warnings > 0 { head += " (\(warnings) warning\(warnings == 1 ? "" : "s"))" }
        lines.append("dnsaudit presend: " + head)
        var context = "From domain \(fromDomain ?? "?"), MAIL FROM \(mailFrom.isEmpty ? "<>" : mailFrom)"
        if let helo { context += ", HELO \(helo)" }
        context += ", egress " + egressIPs.joined(separator: " ")
        lines.append("  " + context)
        for check in checks {
            let mark: String
            switch check.status {
            case .pass: mark = paint("pass", "32")
            case .skipped: mark = "skip"
            case .warning: mark = paint("warn", "33")
            case .incomplete: mark = paint("incomplete", "33")
            case .fail: mark = paint("FAIL", "31")
            }
            let subject = check.subject.map { " [\($0)]" } ?? ""
            lines.append("\(mark) \(check.id)\(subject): \(check.summary)")
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

    private func indent(_ text: String, _ prefix: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
    }
}
