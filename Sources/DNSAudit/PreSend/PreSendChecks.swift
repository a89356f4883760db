import DKIM
import DMARC
import DNSCore
import SPF

// The checks of steps 3–5 and 7, turned from engine results into ``PreSendCheck`` values.

/// DKIM: each signature against the key published in DNS (RFC 6376 §6), and Ed25519-only.
enum DKIMChecks {
    static func verifyChecks(
        _ results: [DKIMResult], configurations: [DKIMSigningConfiguration], signingRequested: Bool, names: Setting.Names
    ) -> [PreSendCheck] {
        let id = PreSendCheckID.dkimVerify
        guard !results.isEmpty else {
            return [PreSendCheck(
                id: id, status: .fail, summary: "The message has no DKIM signature",
                detail: "Gmail requires SPF or DKIM of every sender and both of bulk senders; without a DKIM signature DMARC can pass only through SPF, which breaks on forwarding.",
                rfc: "RFC 6376 §3.5",
                fix: "Sign it: give \(names[.signingDomain]), \(names[.signingSelector]) and \(names[.signingKey]) (drop \(names[.noSigning])).")]
        }
        return results.map { check($0, configuration: configuration(for: $0, in: configurations), names: names) }
    }

    static func configuration(for result: DKIMResult, in configurations: [DKIMSigningConfiguration]) -> DKIMSigningConfiguration? {
        configurations.first {
            $0.domain.lowercased() == result.domain?.lowercased() && $0.selector.lowercased() == result.selector?.lowercased()
        }
    }

    /// The zone-file line that publishes the public half of `key` at `name`.
    static func recordLine(name: String, key: DKIMPrivateKey) -> String? {
        guard let data = try? key.publicKeyData() else { return nil }
        let record = DKIMKeyRecord(keyType: key.algorithm.rawValue, publicKeyData: data)
        let strings = TXTData(text: record.text).strings.map { "\"" + String(decoding: $0, as: UTF8.self) + "\"" }
        return "\(name). IN TXT " + (strings.count == 1 ? strings[0] : "( " + strings.joined(separator: " ") + " )")
    }

    static func check(_ result: DKIMResult, configuration: DKIMSigningConfiguration?, names: Setting.Names) -> PreSendCheck {
        let id = PreSendCheckID.dkimVerify
        let domain = result.domain ?? "?"
        let selector = result.selector ?? "?"
        let subject = "d=\(domain) s=\(selector)"
        let keyName = "\(selector)._domainkey.\(domain)"
        let rfc = "RFC 6376 §6.1.2, §6.1.3"
        var evidence: [String] = []
        if let record = result.keyRecord { evidence.append("\(keyName) TXT \"\(record.text)\"") }
        let publish = configuration.flatMap { recordLine(name: keyName, key: $0.key) }
        switch result.status {
        case .pass:
            if result.testing {
                return PreSendCheck(
                    id: id, status: .warning, subject: subject,
                    summary: "Verified with the key at \(keyName), which is in testing mode (t=y)",
                    detail: "Receivers may treat a t=y signature as if the message were unsigned (RFC 6376 §3.6.1).",
                    evidence: evidence, rfc: "RFC 6376 §3.6.1", fix: "Remove t=y from the key record once signing works.")
            }
            return PreSendCheck(
                id: id, status: .pass, subject: subject,
                summary: "Verifies with the key published at \(keyName)" + (result.keyBits.map { " (\($0)-bit \(result.algorithm ?? ""))" } ?? ""),
                evidence: evidence, rfc: rfc)
        case .temperror:
            return PreSendCheck(
                id: id, status: .incomplete, subject: subject, summary: "The key lookup at \(keyName) failed",
                detail: "\(result.reason). This is not a missing record: the answer never arrived.", evidence: evidence, rfc: rfc,
                fix: "Retry; if it persists, \(domain)'s nameservers are not answering for \(keyName).")
        case .fail, .permerror, .neutral:
            break
        }
        // A key mismatch: the signature is fine but made with another key than the one published.
        if let configuration, let record = result.keyRecord, !record.isRevoked, let published = try? record.publicKey(),
           !published.matches(configuration.key)
        {
            return PreSendCheck(
                id: id, status: .fail, subject: subject,
                summary: "The key published at \(keyName) does not match the private key you sign with",
                detail: "Receivers verify with the published key, so every signature made with this private key fails (\(result.reason)). Usually the key was rotated on one side only, or the selector points at another key.",
                evidence: evidence, rfc: rfc,
                fix: "Publish the public half of your private key (replace the record)" + (publish.map { ":\n    \($0)" } ?? "")
                    + "\nor sign with the private key that belongs to the published record.")
        }
        if result.reason.hasPrefix("no key") {
            return PreSendCheck(
                id: id, status: .fail, subject: subject, summary: "No DKIM key is published at \(keyName)",
                detail: "\(result.reason). Receivers treat the signature as broken (permerror): the selector is wrong or the record was never published.",
                evidence: evidence, rfc: "RFC 6376 §6.1.2",
                fix: "Publish the key" + (publish.map { ":\n    \($0)" } ?? " at \(keyName)")
                    + "\nor, if it is published under another selector, sign with that one (\(names[.signingSelector])).")
        }
        return PreSendCheck(
            id: id, status: .fail, subject: subject, summary: "The signature does not verify: \(result.reason)",
            detail: "Receivers will see DKIM \(result.status.rawValue) for d=\(domain).", evidence: evidence, rfc: rfc,
            fix: publish.map { "Check the record at \(keyName); for this private key it should be:\n    \($0)" }
                ?? "Check the record at \(keyName) with `dnsaudit dkim testkey`.")
    }

    /// Step 7: `nil` when there is no signature to judge.
    static func ed25519Check(_ results: [DKIMResult], names: Setting.Names) -> PreSendCheck? {
        let algorithms = results.compactMap(\.algorithm)
        guard !algorithms.isEmpty else { return nil }
        let id = PreSendCheckID.ed25519Only
        guard algorithms.allSatisfy({ $0.lowercased() == DKIMSignatureAlgorithm.ed25519SHA256.rawValue }) else {
            return PreSendCheck(id: id, status: .pass, summary: "An RSA signature is present (every receiver verifies rsa-sha256)")
        }
        return PreSendCheck(
            id: id, status: .warning, summary: "Only Ed25519 signatures: Gmail and many receivers do not verify them",
            detail: "Receivers that do not implement RFC 8463 treat an ed25519-sha256 signature as absent.",
            rfc: "RFC 8463 §1; RFC 8301 §3.1",
            fix: "Sign with an RSA key (2048 bits) as well: add a second \(names[.signingSelector])/\(names[.signingKey]) pair with an RSA key.")
    }
}

/// SPF for each egress IP: the MAIL FROM identity and the HELO identity (RFC 7208 §2.3, §2.4).
enum SPFChecks {
    static let maximumEvidenceLines = 30

    static func traceLines(_ evaluation: SPFEvaluation) -> [String] {
        let lines = evaluation.trace.rendered().renderedLines
        return lines.count > maximumEvidenceLines ? Array(lines.prefix(maximumEvidenceLines)) + ["…"] : lines
    }

    /// `v=spf1 ip4:IP …rest` for a record that lacks `ip`.
    static func suggestedRecord(_ evaluation: SPFEvaluation, ip: IPAddress) -> String {
        let mechanism = (ip.isV4 ? "ip4:" : "ip6:") + ip.unmapped.description
        guard let record = evaluation.trace.record else { return "v=spf1 \(mechanism) -all" }
        let terms = record.split(separator: " ").dropFirst()
        return (["v=spf1", mechanism] + terms.map(String.init)).joined(separator: " ")
    }

    static func mailFromCheck(_ evaluation: SPFEvaluation, ip: IPAddress, mailFrom: String, helo: String?) -> PreSendCheck {
        let id = PreSendCheckID.spf
        let identity = mailFrom.isEmpty ? "postmaster@\(helo ?? "?") (null MAIL FROM)" : mailFrom
        let domain = evaluation.domain
        let rfc = "RFC 7208 §2.4, §4"
        let evidence = traceLines(evaluation)
        switch evaluation.result {
        case .pass:
            return PreSendCheck(
                id: id, status: .pass, subject: ip.description,
                summary: "SPF pass: \(domain) authorizes \(ip)" + (evaluation.matchedTerm.map { " (\($0))" } ?? ""),
                evidence: evidence, rfc: rfc)
        case .temperror:
            return PreSendCheck(
                id: id, status: .incomplete, subject: ip.description,
                summary: "SPF for \(domain) could not be evaluated: DNS failure (temperror)",
                detail: (evaluation.problem ?? "a DNS lookup failed") + ". This is not a missing record: receivers would also answer temperror and defer the mail.",
                evidence: evidence, rfc: "RFC 7208 §2.6.6",
                fix: "Retry; if it persists, the nameservers of \(domain) (or of a domain its record includes) are failing.")
        case .permerror:
            return PreSendCheck(
                id: id, status: .fail, subject: ip.description,
                summary: "SPF permerror for \(domain): \(evaluation.problem ?? "the record cannot be interpreted")",
                detail: "Receivers treat a permerror as a failure to authenticate \(identity); DMARC cannot use SPF.",
                evidence: evidence, rfc: "RFC 7208 §2.6.7",
                fix: "Fix the SPF record of \(domain); `dnsaudit spf \(domain)` shows the broken term.")
        case .none:
            return PreSendCheck(
                id: id, status: .fail, subject: ip.description,
                summary: "\(domain) publishes no SPF record: \(ip) is not authorized for \(identity)",
                detail: "Gmail requires SPF or DKIM of every sender and both of bulk senders.",
                evidence: evidence, rfc: "RFC 7208 §2.6.1",
                fix: "Publish \(domain). IN TXT \"\(suggestedRecord(evaluation, ip: ip))\"")
        case .fail, .softfail, .neutral:
            var detail = "\(domain)'s SPF record does not authorize \(ip)"
            if let term = evaluation.matchedTerm { detail += "; it ends in \(term)" }
            if let explanation = evaluation.explanation { detail += "; explanation: \(explanation)" }
            detail += ". Receivers see SPF \(evaluation.result.rawValue) for \(identity)"
            detail += evaluation.result == .fail ? " and many reject the message outright." : ", and DMARC cannot use SPF."
            return PreSendCheck(
                id: id, status: .fail, subject: ip.description,
                summary: "SPF \(evaluation.result.rawValue): \(domain) does not authorize \(ip)",
                detail: detail, evidence: evidence, rfc: rfc,
                fix: "Add \(ip) to \(domain)'s SPF record, e.g. \(domain). IN TXT \"\(suggestedRecord(evaluation, ip: ip))\" — or send from an IP the record already lists.")
        }
    }

    static func heloCheck(_ evaluation: SPFEvaluation, ip: IPAddress) -> PreSendCheck {
        let id = PreSendCheckID.spfHelo
        let helo = evaluation.domain
        let evidence = traceLines(evaluation)
        let rfc = "RFC 7208 §2.3"
        switch evaluation.result {
        case .pass:
            return PreSendCheck(id: id, status: .pass, subject: ip.description,
                                summary: "SPF pass for HELO \(helo)", evidence: evidence, rfc: rfc)
        case .none, .neutral:
            return PreSendCheck(
                id: id, status: .pass, subject: ip.description,
                summary: "HELO \(helo): SPF \(evaluation.result.rawValue) (no assertion; most receivers do not require one)",
                detail: "Publishing \(helo). IN TXT \"v=spf1 a -all\" lets receivers authenticate the HELO name, and is what bounces (null MAIL FROM) are checked against.",
                evidence: evidence, rfc: rfc)
        case .softfail:
            return PreSendCheck(
                id: id, status: .warning, subject: ip.description, summary: "HELO \(helo): SPF softfail for \(ip)",
                evidence: evidence, rfc: rfc,
                fix: "Add \(ip) to \(helo)'s SPF record: \(helo). IN TXT \"\(SPFChecks.suggestedRecord(evaluation, ip: ip))\"")
        case .fail, .permerror:
            return PreSendCheck(
                id: id, status: .fail, subject: ip.description,
                summary: "HELO \(helo): SPF \(evaluation.result.rawValue) for \(ip)",
                detail: "Receivers that check the HELO identity (RFC 7208 §2.3) reject on fail." + (evaluation.problem.map { " \($0)." } ?? ""),
                evidence: evidence, rfc: rfc,
                fix: "Fix \(helo)'s SPF record: \(helo). IN TXT \"\(SPFChecks.suggestedRecord(evaluation, ip: ip))\", or give the HELO name your MTA really uses.")
        case .temperror:
            return PreSendCheck(
                id: id, status: .incomplete, subject: ip.description,
                summary: "SPF for HELO \(helo) could not be evaluated: DNS failure (temperror)",
                detail: evaluation.problem, evidence: evidence, rfc: "RFC 7208 §2.6.6",
                fix: "Retry; if it persists, the nameservers of \(helo) are failing.")
        }
    }
}

/// DMARC for the From domain with the SPF and DKIM results (RFC 9989 §4.4, §4.10; RFC 7489 §6.6).
enum DMARCChecks {
    static func check(
        _ evaluation: DMARCEvaluation, ip: IPAddress, signing: [DKIMSigningConfiguration], mailFrom: String,
        freeMail: Bool, names: Setting.Names
    ) -> PreSendCheck {
        let legacy = evaluation.generation == .rfc7489
        let id = legacy ? PreSendCheckID.dmarcRFC7489 : PreSendCheckID.dmarc
        let view = legacy ? "RFC 7489 (Public Suffix List)" : "RFC 9989"
        let rfc = legacy ? "RFC 7489 §3.1, §6.6" : "RFC 9989 §4.4, §4.10"
        let author = evaluation.input.fromDomain
        let subject = ip.description
        var evidence: [String] = []
        if let record = evaluation.discovery.record, let at = evaluation.discovery.policyDomain {
            evidence.append("_dmarc.\(at) TXT \"\(record.text)\"")
        }
        evidence += evaluation.checks.map { "\($0.mechanism.rawValue) \($0.domain) \($0.result.rawValue): \($0.explanation)" }
        let policy = evaluation.requestedPolicy.map { "p=\($0.rawValue)" } ?? "no policy"
        switch evaluation.result {
        case .pass:
            let aligned = evaluation.alignedIdentifiers.map { "\($0.mechanism == .spf ? "SPF" : "DKIM d=")\($0.mechanism == .spf ? " (\($0.domain))" : $0.domain.description)" }
            return PreSendCheck(
                id: id, status: .pass, subject: subject,
                summary: "DMARC pass for \(author) (\(policy)) via " + aligned.joined(separator: ", "),
                detail: legacy ? "Receivers still on \(view) see a different result than RFC 9989 receivers." : nil,
                evidence: evidence, rfc: rfc)
        case .temperror:
            return PreSendCheck(
                id: id, status: .incomplete, subject: subject,
                summary: "DMARC for \(author) could not be evaluated: DNS failure",
                detail: (evaluation.failure?.description ?? "a DNS lookup failed") + ". This is not a missing record.",
                evidence: evidence, rfc: rfc, fix: "Retry; if it persists, \(author)'s nameservers are failing.")
        case .none where freeMail:
            return PreSendCheck(
                id: id, status: .warning, subject: subject, summary: "No DMARC policy was found for \(author) (\(view))",
                detail: "\(author) is a free-mail domain: its provider, not you, publishes its DNS, and its policy can change at any time.",
                evidence: evidence, rfc: rfc, fix: "See \(PreSendCheckID.freeMail): send From a domain you control.")
        case .none:
            return PreSendCheck(
                id: id, status: .warning, subject: subject, summary: "No DMARC policy applies to \(author) (\(view))",
                detail: "Gmail, Yahoo and Microsoft require a DMARC record (p=none at least) of bulk senders, and without one anyone can send as \(author).",
                evidence: evidence, rfc: rfc,
                fix: "Publish _dmarc.\(author). IN TXT \"v=DMARC1; p=none; rua=mailto:dmarc-reports@\(author)\", then tighten to quarantine or reject.")
        case .fail:
            let spfDomain = evaluation.input.spf.map { "MAIL FROM domain \($0.domain) (SPF \($0.result.rawValue))" } ?? "no SPF identity"
            let dkimDomains = evaluation.input.dkim.isEmpty
                ? "no DKIM signature"
                : evaluation.input.dkim.map { "d=\($0.domain) (DKIM \($0.result.rawValue))" }.joined(separator: ", ")
            let disposition = evaluation.disposition.map { " The domain asks receivers to apply p=\($0.rawValue) to this message." } ?? ""
            let signedFor = signing.map(\.domain)
            var fix = freeMail ? "\(author) is a free-mail domain (see \(PreSendCheckID.freeMail)): send From a domain you control. Otherwise: " : ""
            fix += "Make one identifier aligned with \(author) and passing: "
            fix += "sign with d=\(author) (\(names[.signingDomain]) \(author) with a key published at SELECTOR._domainkey.\(author))"
            fix += ", or send with a MAIL FROM at \(author) (or a subdomain) whose SPF record lists every egress IP."
            if !signedFor.isEmpty, !mailFrom.isEmpty { fix += " Now: d=\(signedFor.joined(separator: ", ")) and MAIL FROM \(mailFrom)." }
            return PreSendCheck(
                id: id, status: .fail, subject: subject,
                summary: "DMARC fails for \(author) (\(policy), \(view)): neither SPF nor DKIM is aligned and passing",
                detail: "DMARC passes only when the SPF domain (MAIL FROM) or a DKIM d= domain passes and matches \(author) (relaxed: same Organizational Domain). Here: \(spfDomain); \(dkimDomains).\(disposition)",
                evidence: evidence, rfc: rfc, fix: fix)
        }
    }
}
