import DNSCore
import MailAuthCore

/// The DMARC lints: each finding has a stable id, listed in ``ids``.
public enum DMARCLint {
    /// Every id this module emits.
    public static let ids: [String] = [
        "dmarc.dns-failure", "dmarc.no-record", "dmarc.record-only-at-subdomain", "dmarc.multiple-records",
        "dmarc.not-dmarc-record", "dmarc.invalid-record", "dmarc.invalid-policy", "dmarc.policy-none",
        "dmarc.subdomain-policy-weaker", "dmarc.no-rua", "dmarc.rua-unauthorized", "dmarc.ruf-unauthorized",
        "dmarc.ruf-set", "dmarc.removed-tag", "dmarc.testing", "dmarc.psd-misuse", "dmarc.syntax",
        "dmarc.unknown-tag", "dmarc.obsolete-size-limit", "dmarc.p-not-second", "dmarc.generations-differ",
    ]

    /// The findings for an inspected domain, most severe first.
    public static func findings(for report: DMARCDomainReport, publicSuffixList: PublicSuffixList) -> [Finding] {
        var findings: [Finding] = []
        let modern = report.rfc9989
        let legacy = report.rfc7489
        let domain = report.domain

        for discovery in [modern, legacy] {
            if case .temporaryError(let failure) = discovery.status, failure.kind == .outsideZoneData {
                findings.append(.init(
                    id: "dmarc.dns-failure", severity: .warning,
                    title: "Not checked: \(discovery.generation == .rfc9989 ? "RFC 9989" : "RFC 7489") discovery needs a name outside the zone files",
                    detail: "\(failure.question.name) was not asked: it lies outside the zone files, and this check is offline. Nothing is known to be missing.",
                    evidence: [failure.description], rfc: "RFC 9989 §4.10.1",
                    fix: "Add the zone file that holds \(failure.question.name) (for the tree walk, the parent zones up to the top-level domain), or let names outside the zone files be asked over the network."))
            } else if case .temporaryError(let failure) = discovery.status {
                findings.append(.init(
                    id: "dmarc.dns-failure", severity: .warning,
                    title: "DNS failure: \(discovery.generation == .rfc9989 ? "RFC 9989" : "RFC 7489") discovery is incomplete",
                    detail: "A DNS failure is a temporary error, not a missing record; receivers may defer or accept the mail.",
                    evidence: [failure.description], rfc: "RFC 9989 §4.10.1", fix: "Check the authoritative servers for _dmarc names."))
            }
        }

        // Problems at the names queried.
        var seen: Set<DomainName> = []
        for step in modern.steps + legacy.steps where seen.insert(step.domain).inserted {
            let name = "_dmarc.\(step.domain)"
            switch step.outcome {
            case .multipleRecords(let texts):
                findings.append(.init(
                    id: "dmarc.multiple-records", severity: .error, title: "Several DMARC records at \(name)",
                    detail: "Receivers discard all of them, as if there were none.", evidence: texts,
                    rfc: "RFC 9989 §4.10 step 2", fix: "Publish exactly one v=DMARC1 record at \(name)."))
            case .noDMARCRecord(let texts):
                // Other TXT records at a _dmarc name (another protocol's, or a wildcard's) are
                // discarded and the walk goes on (RFC 9989 §4.10 step 2): only a DMARC record
                // gone wrong is worth a word.
                let nearMisses = texts.filter(looksLikeDMARCRecord)
                guard !nearMisses.isEmpty else { break }
                findings.append(.init(
                    id: "dmarc.not-dmarc-record", severity: .error, title: "TXT at \(name) does not start with v=DMARC1",
                    detail: "Receivers discard TXT records that do not begin with v=DMARC1 (exactly, case-sensitive).",
                    evidence: nearMisses, rfc: "RFC 9989 §4.7 (v), §4.10 step 2", fix: "Start the record with \"v=DMARC1;\"."))
            case .invalidRecord(let error):
                findings.append(.init(
                    id: "dmarc.invalid-record", severity: .error, title: "The record at \(name) is not a valid tag-list",
                    detail: error.message, evidence: [error.text, "offset \(error.offset)"],
                    rfc: "RFC 9989 §4.7; RFC 6376 §3.2", fix: "Write each tag once."))
            default: break
            }
        }

        if modern.status == .noRecord, legacy.status == .noRecord {
            findings.append(.init(
                id: "dmarc.no-record", severity: .error, title: "No DMARC record applies to \(domain)",
                detail: "Receivers apply no DMARC policy: anyone can send mail as \(domain). Gmail and Yahoo require a DMARC record (p=none at least) from bulk senders.",
                evidence: modern.queriedNames.map { "\($0): no record" }, rfc: "RFC 9989 §4.10.1",
                fix: "Publish TXT at _dmarc.\(modern.organizationalDomain): \"v=DMARC1; p=none; rua=mailto:dmarc@\(modern.organizationalDomain)\", then tighten."))
        }

        let pslOrg = legacy.organizationalDomain  // the Public Suffix List's answer, found by the RFC 7489 view
        if modern.source == .authorDomain, modern.record?.publicSuffixDomain != .no, pslOrg != domain,
           modern.steps.dropFirst().allSatisfy({ $0.record == nil }), modern.walkStop != .temporaryError
        {
            findings.append(.init(
                id: "dmarc.record-only-at-subdomain", severity: .warning,
                title: "\(domain) has a record, but its Organizational Domain \(pslOrg) has none",
                detail: "\(pslOrg) and its other subdomains have no DMARC policy and can be spoofed.",
                evidence: modern.queriedNames.map(\.description), rfc: "RFC 9989 §4.10.1, §5.1",
                fix: "Publish a record at _dmarc.\(pslOrg) too."))
        }

        guard let record = modern.record ?? legacy.record,
              let policyDomain = modern.policyDomain ?? legacy.policyDomain
        else {
            findings.append(contentsOf: differences(modern, legacy))
            return sorted(findings)
        }
        let at = "_dmarc.\(policyDomain)"
        let evidence = "\(at): \(record.text)"

        switch record.processing(for: .rfc9989) {
        case .skip:
            findings.append(.init(
                id: "dmarc.invalid-policy", severity: .error, title: "Invalid p, sp or np, and no valid rua: DMARC is not applied",
                detail: "Receivers ignore the record entirely.", evidence: [evidence], rfc: "RFC 9989 §4.10.1",
                fix: "Use p=none, p=quarantine or p=reject."))
        case .treatAsNone:
            findings.append(.init(
                id: "dmarc.invalid-policy", severity: .error, title: "Invalid p, sp or np: receivers act as if p=none",
                detail: "The record has a valid rua, so receivers send reports but enforce nothing.", evidence: [evidence],
                rfc: "RFC 9989 §4.10.1", fix: "Use p=none, p=quarantine or p=reject."))
        case .apply: break
        }

        if modern.policy == DMARCRecord.Policy.none {
            findings.append(.init(
                id: "dmarc.policy-none", severity: .warning, title: "Policy none: monitoring only",
                detail: "p=none meets the Gmail/Yahoo bulk-sender minimum but protects nothing: failing mail is delivered as usual.",
                evidence: [evidence], rfc: "RFC 9989 §4.7 (p)",
                fix: "Once aggregate reports show all legitimate mail aligned, move to p=quarantine, then p=reject."))
        }

        if let p = record.policy {
            var weaker: [String] = []
            if let sp = record.subdomainPolicy, sp < p { weaker.append("sp=\(sp.rawValue)") }
            if let np = record.nonexistentSubdomainPolicy, np < p { weaker.append("np=\(np.rawValue)") }
            if !weaker.isEmpty {
                findings.append(.init(
                    id: "dmarc.subdomain-policy-weaker", severity: .warning,
                    title: "\(weaker.joined(separator: ", ")) is weaker than p=\(p.rawValue)",
                    detail: "Spoofers can use subdomains\(weaker.contains { $0.hasPrefix("np") } ? ", even ones that do not exist," : "") to get past the stronger policy.",
                    evidence: [evidence], rfc: "RFC 9989 §4.7 (sp, np)",
                    fix: "Remove sp/np or set them at least as strong as p (np=reject is right for names you never send from)."))
            }
        }

        if record.aggregateReportURIs.isEmpty {
            findings.append(.init(
                id: "dmarc.no-rua", severity: .warning, title: "No rua: no aggregate reports",
                detail: "Without reports you cannot see who sends as your domain or whether your own mail aligns.",
                evidence: [evidence], rfc: "RFC 9989 §4.7 (rua); RFC 9990",
                fix: "Add rua=mailto:dmarc-reports@\(policyDomain)."))
        }

        for authorization in report.reportAuthorizations where authorization.status == .notAuthorized {
            findings.append(.init(
                id: authorization.tag == "rua" ? "dmarc.rua-unauthorized" : "dmarc.ruf-unauthorized", severity: .warning,
                title: "\(authorization.tag) destination \(authorization.destination) has not authorized reports for \(policyDomain)",
                detail: "Receivers send reports to a foreign domain only if it publishes \(authorization.queriedName.map(\.description) ?? "an authorization record"); these reports are lost.",
                evidence: [authorization.uri.description, "\(authorization.queriedName.map(\.description) ?? "-"): no v=DMARC1 record"],
                rfc: authorization.tag == "rua" ? "RFC 9990 §3.2.3" : "RFC 9991 §3.2.3 (RFC 9990 §3.2.3)",
                fix: "Ask \(authorization.destination) to publish TXT \"v=DMARC1;\" at \(authorization.queriedName.map(\.description) ?? "")."))
        }

        if !record.failureReportURIs.isEmpty {
            findings.append(.init(
                id: "dmarc.ruf-set", severity: .info, title: "ruf is set: few receivers send failure reports",
                detail: "Most large receivers send no failure reports (they can carry personal data); rely on aggregate reports.",
                evidence: [evidence], rfc: "RFC 9989 §4.7 (ruf); RFC 9991"))
        }

        let removed = record.issues.filter { $0.kind == .removedTag }
        if !removed.isEmpty {
            var detail = "RFC 9989 receivers ignore pct, rf and ri; RFC 7489 receivers still read them."
            var severity = Severity.info
            if let pct = record.percentage, pct < 100 {
                severity = .warning
                detail += " pct=\(pct): RFC 7489 receivers apply the policy to \(pct)% of failing mail and one level less to the rest; RFC 9989 receivers apply it to all failing mail."
            }
            findings.append(.init(
                id: "dmarc.removed-tag", severity: severity,
                title: "Tags removed by RFC 9989: \(removed.compactMap(\.tag).joined(separator: ", "))", detail: detail,
                evidence: removed.map { "offset \($0.offset): \($0.tag ?? "")" }, rfc: "RFC 9989 Appendix C",
                fix: "Remove pct (use t=y to test), rf and ri."))
        }

        if record.testing {
            let p = modern.policy ?? DMARCRecord.Policy.none
            findings.append(.init(
                id: "dmarc.testing", severity: p == .none ? .info : .warning, title: "t=y: policy in testing",
                detail: p == .none
                    ? "t=y has no effect on p=none."
                    : "RFC 9989 receivers apply \(p.oneLevelLower.rawValue) instead of \(p.rawValue). RFC 7489 receivers do not know t and apply \(p.rawValue) in full\(record.percentage.map { $0 < 100 ? " to pct=\($0)%" : "" } ?? "").",
                evidence: [evidence], rfc: "RFC 9989 §4.7 (t), Appendix A.6", fix: "Remove t=y when the policy is ready."))
        }

        findings.append(contentsOf: psdMisuse(modern, legacy, list: publicSuffixList))
        findings.append(contentsOf: syntax(record, at: at))
        findings.append(contentsOf: differences(modern, legacy))
        return sorted(findings)
    }

    /// Whether a TXT record that receivers discard at a `_dmarc` name (it does not start with
    /// `v=DMARC1`, RFC 9989 §4.10 step 2) was meant as a DMARC record: a `v` tag whose value starts
    /// with `DMARC` in any case (`v=dmarc1`, `v=DMARC1 p=reject` without its `;`), anywhere in the
    /// record (`p=reject; v=DMARC1`), or a first tag that only DMARC defines (`p=reject; rua=…`).
    /// Another protocol's record (`v=spf1 …`, `v=DKIM1; …`, `google-site-verification=…`) or free
    /// text, such as a wildcard TXT answers at every name, is not.
    ///
    /// The version value is case-sensitive (`%s"DMARC1"`, RFC 9989 §4.8) but the tag name `v` and
    /// the spaces around `=` are not significant, so `V = DMARC1; …` is a record, not a near miss.
    static func looksLikeDMARCRecord(_ text: String) -> Bool {
        let specs = text.utf8.split(separator: UInt8(ascii: ";"))
        for (index, spec) in specs.enumerated() {
            guard let equals = spec.firstIndex(of: UInt8(ascii: "=")) else { continue }
            let name = trimmed(spec[..<equals]).lowercased()
            let value = trimmed(spec[spec.index(after: equals)...]).lowercased()
            if name == "v" && value.hasPrefix("dmarc") { return true }
            if index == 0 && name != "v" && (DMARCRecord.registeredTags.contains(name) || DMARCRecord.removedTags.contains(name)) {
                return true
            }
        }
        return false
    }

    /// The bytes without folding whitespace at either end, as text.
    private static func trimmed(_ bytes: Substring.UTF8View.SubSequence) -> String {
        var part = bytes[...]
        while let first = part.first, ASCII.isFoldingWhitespace(first) { part = part.dropFirst() }
        while let last = part.last, ASCII.isFoldingWhitespace(last) { part = part.dropLast() }
        return String(decoding: part, as: UTF8.self)
    }

    private static func psdMisuse(_ modern: PolicyDiscovery, _ legacy: PolicyDiscovery, list: PublicSuffixList) -> [Finding] {
        var findings: [Finding] = []
        for step in modern.steps {
            guard let record = step.record else { continue }
            let isPublicSuffix = list.registrableDomain(of: step.domain.description) == nil
            switch record.publicSuffixDomain {
            case .yes where !isPublicSuffix:
                findings.append(.init(
                    id: "dmarc.psd-misuse", severity: .error,
                    title: "psd=y at \(step.domain), which is not a public suffix",
                    detail: "psd=y makes every child of \(step.domain) its own Organizational Domain: relaxed alignment between them breaks, and subdomains without records get the PSD policy instead of yours.",
                    evidence: ["_dmarc.\(step.domain): \(record.text)"], rfc: "RFC 9989 §4.7 (psd), §4.10.2",
                    fix: "Remove psd=y (only public suffix operators use it)."))
            case .no where isPublicSuffix:
                findings.append(.init(
                    id: "dmarc.psd-misuse", severity: .warning,
                    title: "psd=n at \(step.domain), which the Public Suffix List lists as a public suffix",
                    detail: "RFC 9989 receivers treat \(step.domain) as one organization; RFC 7489 receivers treat each child as separate.",
                    evidence: ["_dmarc.\(step.domain): \(record.text)"], rfc: "RFC 9989 §4.7 (psd)"))
            default: break
            }
        }
        return findings
    }

    private static func syntax(_ record: DMARCRecord, at name: String) -> [Finding] {
        record.issues.compactMap { issue in
            let evidence = ["\(name): \(record.text)", "offset \(issue.offset): \(issue.message)"]
            switch issue.kind {
            case .syntax, .invalidValue, .invalidURI:
                return .init(id: "dmarc.syntax", severity: .warning, title: issue.message, detail: "Receivers ignore this part of the record and use the default.",
                             evidence: evidence, rfc: "RFC 9989 §4.8", fix: "Correct the value.")
            case .unknownTag:
                return .init(id: "dmarc.unknown-tag", severity: .info, title: issue.message, detail: "Unknown tags are ignored.",
                             evidence: evidence, rfc: "RFC 9989 §4.7")
            case .obsoleteSizeLimit:
                return .init(id: "dmarc.obsolete-size-limit", severity: .info, title: issue.message,
                             detail: "The !size suffix is obsolete syntax that reporters ignore.", evidence: evidence, rfc: "RFC 9989 §4.8",
                             fix: "Drop the !size suffix.")
            case .policyNotSecond:
                return .init(id: "dmarc.p-not-second", severity: .warning, title: "p is not right after v=DMARC1",
                             detail: "RFC 7489's grammar wants \"v=DMARC1; p=…\"; strict RFC 7489 parsers reject the record.",
                             evidence: evidence, rfc: "RFC 7489 §6.4; RFC 9989 §4.8", fix: "Write p second.")
            case .removedTag, .duplicateTag:
                return nil
            }
        }
    }

    /// Where an RFC 9989 receiver and an RFC 7489 receiver would act differently.
    static func differences(_ modern: PolicyDiscovery, _ legacy: PolicyDiscovery) -> [Finding] {
        guard modern.isComplete, legacy.isComplete else { return [] }
        func summary(_ d: PolicyDiscovery) -> String {
            switch d.status {
            case .found:
                return "\(d.appliedTag?.rawValue ?? "p")=\(d.policy?.rawValue ?? "?") from _dmarc.\(d.policyDomain?.description ?? "?"), Organizational Domain \(d.organizationalDomain)"
            case .noRecord: return "no DMARC record (Organizational Domain \(d.organizationalDomain))"
            case .notApplied: return "record not applied (invalid policy)"
            case .temporaryError: return "temporary error"
            }
        }
        let same = modern.status == legacy.status && modern.policy == legacy.policy && modern.policyDomain == legacy.policyDomain
            && modern.organizationalDomain == legacy.organizationalDomain
        if same { return [] }
        let enforcementDiffers = modern.policy != legacy.policy || modern.status != legacy.status
        return [.init(
            id: "dmarc.generations-differ", severity: enforcementDiffers ? .warning : .info,
            title: "RFC 9989 and RFC 7489 receivers see different policies",
            detail: enforcementDiffers
                ? "Receivers running the two generations will treat failing mail differently."
                : "Same policy, but the Organizational Domain differs, which can change relaxed alignment.",
            evidence: ["RFC 9989 (tree walk): " + summary(modern), "RFC 7489 (Public Suffix List): " + summary(legacy)],
            rfc: "RFC 9989 §4.10; RFC 7489 §6.6.3")]
    }

    private static func sorted(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }
}
