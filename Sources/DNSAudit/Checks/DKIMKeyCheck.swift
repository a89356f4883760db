import DKIM
import DNSCore
import MailAuthCore

/// The DKIM area: keys at the selectors given, at selectors inferred from the domain's mail
/// providers, and at common selectors; plus the RFC 8020 probe of `_domainkey.<domain>`.
///
/// DKIM selectors cannot be listed from DNS. A key that was not found is therefore "unknown",
/// not "missing" — unless `_domainkey.<domain>` answers NXDOMAIN, which under RFC 8020 §2 proves
/// that no name below it, hence no key, exists.
struct DKIMKeyCheck {
    /// The label below which selectors publish keys (RFC 6376 §3.6.2.1).
    static let keysLabel = "_domainkey"

    /// Selectors implied by a provider in the MX set or the SPF include tree.
    static let providers: [(name: String, mx: [String], spf: [String], selectors: [String])] = [
        ("Google Workspace", ["google.com", "googlemail.com"], ["_spf.google.com"], ["google"]),
        ("Microsoft 365", ["mail.protection.outlook.com"], ["spf.protection.outlook.com"], ["selector1", "selector2"]),
        ("SendGrid", [], ["sendgrid.net"], ["s1", "s2", "smtpapi"]),
        ("Mailchimp / Mandrill", [], ["servers.mcsv.net", "spf.mandrillapp.com"], ["k1", "k2", "k3", "mandrill"]),
        ("Mailgun", ["mailgun.org"], ["mailgun.org"], ["mx", "smtp", "k1", "krs"]),
        ("Zoho", ["zoho.com", "zoho.eu"], ["zoho.com", "zoho.eu", "zohomail.com"], ["zoho", "zmail"]),
        ("Fastmail", ["messagingengine.com"], ["spf.messagingengine.com"], ["fm1", "fm2", "fm3"]),
        ("Proton Mail", ["protonmail.ch"], ["_spf.protonmail.ch"], ["protonmail", "protonmail2", "protonmail3"]),
        ("Postmark", [], ["spf.mtasv.net"], ["pm"]),
        ("Amazon SES", [], ["amazonses.com"], []),
    ]

    let domain: DomainName
    let resolver: any DNSResolver
    let names: Setting.Names
    let selectors: [String]
    /// The selectors tried besides those named and those the providers imply.
    var selectorSet: SelectorSet = .common
    let mxHosts: [DomainName]
    let spfDomains: [String]
    /// The domain says it sends no mail (`v=spf1 -all`): missing keys are then expected.
    var sendsNoMail = false

    struct Result {
        var report: AreaReport
        /// At least one usable key was found (`nil`: none found, none proven absent).
        var keyFound: Bool?
    }

    struct Candidate: Hashable {
        var selector: String
        var source: Source
    }

    /// Why a selector is tried.
    enum Source: Hashable, Sendable {
        /// The caller named it (``Auditor/Options/selectors``).
        case named
        /// A mail provider seen in the MX set or the SPF tree uses it (``providers``).
        case provider(String)
        /// It is one of the ``SelectorSet``'s selectors.
        case common
    }

    /// The source as the report's records show it, after the record: `(SendGrid)`.
    func label(_ source: Source) -> String {
        switch source {
        case .named: names[.selector]
        case .provider(let name): name
        case .common: selectorSet.sourceLabel
        }
    }

    /// ``providers`` with their names parsed once (a test checks that every one parses).
    static let providerNames: [(name: String, mx: [DomainName], spf: [DomainName], selectors: [String])] =
        providers.map { provider in
            (provider.name, provider.mx.compactMap { try? DomainName($0) }, provider.spf.compactMap { try? DomainName($0) },
             provider.selectors)
        }

    func candidates() -> (selectors: [Candidate], providers: [String]) {
        var list: [Candidate] = selectors.map { Candidate(selector: $0, source: .named) }
        var found: [String] = []
        let spfNames = spfDomains.compactMap { try? DomainName(dnsName: $0) }
        for provider in Self.providerNames {
            let viaMX = mxHosts.contains { host in provider.mx.contains { host.isSubdomain(of: $0) } }
            let viaSPF = spfNames.contains { spf in provider.spf.contains { spf.isSubdomain(of: $0) } }
            guard viaMX || viaSPF else { continue }
            found.append(provider.name)
            list += provider.selectors.map { Candidate(selector: $0, source: .provider(provider.name)) }
        }
        list += selectorSet.selectors.map { Candidate(selector: $0, source: .common) }
        var seen: Set<String> = []
        return (list.filter { seen.insert($0.selector.lowercased()).inserted }, found)
    }

    struct Probe: Sendable {
        var candidate: String
        var source: Source
        var outcome: Swift.Result<DNSResponse, DNSError>
    }

    func run() async -> Result {
        let (candidates, providers) = candidates()
        guard let base = try? domain.prepending(Self.keysLabel) else {
            let finding = Finding.nameTooLong(.dkim, prefix: "selector._domainkey", domain: domain)
            return Result(report: AreaReport(area: .dkim, summary: "name too long", findings: [finding]), keyFound: nil)
        }
        // The RFC 8020 probe first: NXDOMAIN at _domainkey proves no selector exists, so only the
        // selectors the user named are still asked (to show what they answer).
        let probeResult = await resolver.result(of: DNSQuestion(base, .txt))
        var provenAbsent = false
        if case .success(let response) = probeResult, response.outcome == .nxdomain { provenAbsent = true }
        // Every remaining selector at once, as one batch; one whose name would be too long is
        // not asked.
        let asked = (provenAbsent ? candidates.filter { $0.source == .named } : candidates)
            .compactMap { candidate in (try? base.prepending(candidate.selector)).map { (candidate, $0) } }
        let outcomes = await resolver.queryAll(asked.map { DNSQuestion($0.1, .txt) })
        let probes = zip(asked, outcomes).map { asked, outcome in
            Probe(candidate: asked.0.selector, source: asked.0.source, outcome: outcome)
        }
        var findings: [Finding] = []
        var records: [String] = []
        /// Selectors that are CNAMEs to nothing: listed with the records, but not keys.
        var dangling: [String] = []
        var failures: [DNSError] = []
        var usable: [(selector: String, algorithm: DKIMKeyAlgorithm)] = []
        var keys: [DKIMKeyData] = []
        for probe in probes {
            switch probe.outcome {
            case .failure(let error):
                failures.append(error)
            case .success(let response) where response.outcome == .nxdomain && !response.cnameChain.isEmpty:
                let name = "\(probe.candidate)._domainkey.\(domain)"
                let chain = ([name] + response.cnameChain.map(\.description)).joined(separator: " → ")
                dangling.append("\(chain) (NXDOMAIN; \(label(probe.source)))")
                findings.append(Finding(
                    id: "dkim.selector-dangling", severity: .warning,
                    title: "DKIM selector \(probe.candidate) is a CNAME to a name that does not exist",
                    detail: "Mail signed with s=\(probe.candidate) fails DKIM (no key, RFC 6376 §6.1.2). A dangling alias also hands the selector to whoever can create \(response.canonicalName), for instance a new account at the provider.",
                    evidence: ["\(chain) → NXDOMAIN"], rfc: "RFC 6376 §3.6.2.2; RFC 1034 §3.6.2",
                    fix: "Finish the provider's DKIM set-up so it publishes the key, or delete the CNAME if nothing signs with this selector."))
            case .success(let response):
                let texts = response.txt.map(\.joined).filter { Self.looksLikeKey($0) }
                if texts.count > 1 {
                    findings.append(Finding(
                        id: "dkim.key.multiple-records", severity: .error,
                        title: "Several DKIM key records at selector \(probe.candidate)",
                        detail: "Verifiers may pick any of them (RFC 6376 §3.6.2.2), so signatures verify only some of the time.",
                        evidence: texts, rfc: "RFC 6376 §3.6.2.2",
                        fix: "Keep exactly one key record per selector; publish a new key at a new selector."))
                }
                for text in texts {
                    let name = "\(probe.candidate)._domainkey.\(domain)"
                    records.append("\(name) TXT \"\(text)\" (\(label(probe.source)))")
                    findings += lint(text, selector: probe.candidate, name: name, usable: &usable)
                    if let record = try? DKIMKeyRecord.parse(text) { keys.append(DKIMKeyData(selector: probe.candidate, record: record)) }
                }
            }
        }
        let providerNote = providers.isEmpty ? "" : " (providers seen: \(providers.joined(separator: ", ")))"
        if usable.isEmpty && records.isEmpty && sendsNoMail && failures.isEmpty {
            findings.append(Finding(
                id: "dkim.none-for-parked-domain", severity: .info, title: "No DKIM keys: the domain sends no mail",
                detail: "\(domain) publishes `v=spf1 -all`, declaring that it sends no mail, so no DKIM key is expected.",
                rfc: "RFC 7208 §5.1; M3AAWG parked domains best practice", fix: nil))
        } else if usable.isEmpty && records.isEmpty && !failures.isEmpty {
            // Nothing found, and some lookups failed: unknown; the incomplete finding below says why.
        } else if usable.isEmpty && records.isEmpty {
            if provenAbsent {
                findings.append(Finding(
                    id: "dkim.no-keys", severity: .error, title: "No DKIM keys are published",
                    detail: "_domainkey.\(domain) does not exist (NXDOMAIN), so no selector below it can hold a key (RFC 8020 §2). Mail from \(domain) cannot carry a DKIM signature that aligns with it.",
                    evidence: ["_domainkey.\(domain) TXT → NXDOMAIN"], rfc: "RFC 6376 §3.6.2.1; RFC 8020 §2",
                    fix: "Generate a key (`dnsaudit dkim keygen`), publish its TXT record at <selector>._domainkey.\(domain), and sign with it."))
            } else {
                findings.append(Finding(
                    id: "dkim.selector-unknown", severity: .warning, title: "No DKIM key found at the selectors tried",
                    detail: "No key at the \(candidates.count) selectors tried\(providerNote). Selectors cannot be listed from DNS, so a key may exist elsewhere: this is unknown, not missing.",
                    evidence: [
                        "selector set: \(selectorSet)",
                        "tried: " + candidates.prefix(12).map(\.selector).joined(separator: ", ") + (candidates.count > 12 ? ", …" : ""),
                    ],
                    rfc: "RFC 6376 §3.6.2.1",
                    fix: "Re-run with \(names[.selector]) SELECTOR (the s= of a DKIM-Signature header in mail you sent)."))
            }
        }
        if !usable.isEmpty && usable.allSatisfy({ $0.algorithm == .ed25519 }) {
            findings.append(Finding(
                id: "dkim.ed25519-only", severity: .warning, title: "Only Ed25519 keys found",
                detail: "Gmail and several other receivers do not verify ed25519-sha256 signatures (RFC 8463); mail signed only with Ed25519 has no DKIM pass there.",
                evidence: [usable.map(\.selector).joined(separator: ", ")], rfc: "RFC 8463 §4; RFC 6376 §3.3",
                fix: "Also sign with an RSA-2048 key (dual signing), published at a second selector."))
        }
        if !failures.isEmpty {
            findings.append(.incomplete(.dkim, failures[0], names: names))
        }
        let summary: String
        if !usable.isEmpty {
            summary = "\(usable.count) key\(usable.count == 1 ? "" : "s") found: " + usable.map { "\($0.selector) (\($0.algorithm.rawValue))" }.joined(separator: ", ")
        } else if provenAbsent {
            summary = "no keys (_domainkey does not exist)"
        } else if !records.isEmpty {
            summary = "keys found, none usable"
        } else {
            summary = "no key at \(candidates.count) selectors tried (\(selectorSet) set; unknown)"
        }
        let incomplete = !failures.isEmpty && usable.isEmpty && !provenAbsent
        let report = AreaReport(
            area: .dkim, status: incomplete ? .incomplete : nil, summary: summary, records: records + dangling, findings: findings,
            data: keys.isEmpty ? nil : AreaData(dkim: keys))
        let keyFound: Bool? = !usable.isEmpty ? true : (provenAbsent || !records.isEmpty ? false : nil)
        return Result(report: report, keyFound: keyFound)
    }

    /// A TXT record that is meant as a DKIM key (RFC 6376 §3.6.1: `v=DKIM1` first, or a `p=` tag).
    static func looksLikeKey(_ text: String) -> Bool {
        let trimmed = text.trimmingWhitespace().lowercased()
        return trimmed.hasPrefix("v=dkim1") || trimmed.hasPrefix("p=") || trimmed.contains("; p=") || trimmed.contains(";p=")
            || trimmed.hasPrefix("k=")
    }

    /// The findings of one published key record: the DKIM module's key lints (``DKIMKeyLint``),
    /// reweighed for the audit, with where the record is and a fix. A key with no error-level
    /// finding counts as usable.
    func lint(_ text: String, selector: String, name: String, usable: inout [(selector: String, algorithm: DKIMKeyAlgorithm)]) -> [Finding] {
        let evidence = "\(name) TXT \"\(text)\""
        let record: DKIMKeyRecord
        do {
            record = try DKIMKeyRecord.parse(text)
        } catch {
            return [Finding(
                id: "dkim.key.syntax", severity: .error, title: "DKIM key at \(selector) is malformed",
                detail: "\(error.pointer)\nVerifiers treat this as no key: signatures with s=\(selector) fail (permerror).",
                evidence: [evidence], rfc: "RFC 6376 §3.6.1", fix: "Republish the record exactly as the key tool printed it.")]
        }
        var findings: [Finding] = []
        for lint in DKIMKeyLint.findings(for: record) where lint.id != "dkim.key.ed25519-only" {
            let (severity, fix) = Self.auditView(of: lint)
            findings.append(Finding(
                id: lint.id, severity: severity, title: "DKIM key at \(selector): \(lint.title)",
                detail: "Published at \(name).", evidence: [evidence], rfc: lint.rfc, fix: fix))
        }
        if let algorithm = record.keyAlgorithm, !record.isRevoked, !findings.contains(where: { $0.severity == .error }) {
            usable.append((selector, algorithm))
        }
        return findings
    }

    /// How the audit weighs a key lint, and what to do about it.
    static func auditView(of lint: Finding) -> (Severity, String?) {
        switch lint.id {
        case "dkim.key.revoked":
            // A retired selector is normal; it only matters if mail is still signed with it.
            return (.info, "Remove the record once no mail signed with this selector is in flight.")
        case "dkim.key.testing":
            // RFC 6376 §3.6.1: verifiers treat mail signed with a testing key as unsigned, so the
            // key gives no DKIM pass that DMARC or a bulk-sender rule can count.
            return (.error, "Remove t=y once signing works: receivers treat mail signed with a testing key as unsigned.")
        case "dkim.key.rsa-under-1024":
            return (.error, "Generate an RSA-2048 key (`dnsaudit dkim keygen`) and publish it at a new selector.")
        case "dkim.key.rsa-under-2048":
            return (.warning, "Rotate to an RSA-2048 key at a new selector.")
        case "dkim.key.no-sha256":
            return (.error, "Remove h= or set h=sha256 (RFC 8301 forbids sha1).")
        case "dkim.key.not-for-email":
            return (.error, "Remove s= or set s=email.")
        case "dkim.key.unknown-type":
            return (.error, "Publish k=rsa or k=ed25519.")
        case "dkim.key.undecodable":
            return (.error, "Republish p= as the base64 of the public key, with no quotes or spaces inside.")
        default:
            return (lint.severity, nil)
        }
    }
}

/// The audit's weighing of findings that other commands report too, so that `--fail-on` means the
/// same everywhere.
public enum AuditSeverity {
    /// A DKIM key lint (``DKIMKeyLint``) with the severity the audit gives it: a key in testing
    /// (`t=y`) is an error, since receivers treat its mail as unsigned (RFC 6376 §3.6.1); a
    /// revoked key is information; RSA under 2048 bits a warning (RFC 8301 §3.2).
    public static func dkimKeyLint(_ lint: Finding) -> Finding {
        var weighed = lint
        weighed.severity = DKIMKeyCheck.auditView(of: lint).0
        return weighed
    }
}
