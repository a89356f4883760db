import DNSCore
import MailAuthCore

/// The SPF findings, each with a stable id. ``SPFChecker`` produces them; ``findings(for:domain:isTopChain:)``
/// also works on a record alone.
///
/// | id | severity | RFC 7208 |
/// |---|---|---|
/// | `spf.no-record` | error | §4.5 |
/// | `spf.multiple-records` | error | §4.5 |
/// | `spf.rr-type-spf` | warning | §3.1, §14.1 |
/// | `spf.record-too-long` | warning | §3.4 |
/// | `spf.string-too-long` | error | §3.3 |
/// | `spf.syntax` | error | §4.6, §12 |
/// | `spf.misspelt-mechanism` | error / warning | §4.6.1, §6 |
/// | `spf.all-pass` | error | §5.1 |
/// | `spf.all-neutral` | error | §5.1 |
/// | `spf.no-all` | warning | §4.7 |
/// | `spf.ptr` | warning | §5.5 |
/// | `spf.redirect-ignored` | warning | §6.1 |
/// | `spf.unknown-modifier` | info | §6 |
/// | `spf.include-self` | error | §5.2 |
/// | `spf.loop` | error | §4.6.4 |
/// | `spf.include-no-record` | error | §5.2 |
/// | `spf.redirect-no-record` | error | §6.1 |
/// | `spf.macro-unchecked` | info | §7 |
/// | `spf.ip-overlap` | info | §5.6 |
/// | `spf.lookup-limit` | error | §4.6.4 |
/// | `spf.void-limit` | error | §4.6.4 |
/// | `spf.mx-limit` | error | §4.6.4 |
/// | `spf.dns-failure` | warning | §2.6.6 |
public enum SPFLint {
    /// Every id in the table above.
    public static let ids: [String] = [
        "spf.no-record", "spf.multiple-records", "spf.rr-type-spf", "spf.record-too-long", "spf.string-too-long",
        "spf.syntax", "spf.misspelt-mechanism", "spf.all-pass", "spf.all-neutral", "spf.no-all", "spf.ptr",
        "spf.redirect-ignored", "spf.unknown-modifier", "spf.include-self", "spf.loop", "spf.include-no-record",
        "spf.redirect-no-record", "spf.macro-unchecked", "spf.ip-overlap", "spf.lookup-limit", "spf.void-limit",
        "spf.mx-limit", "spf.dns-failure",
    ]

    static func rfc(_ section: String) -> String { "RFC 7208 §\(section)" }

    static func noRecord(domain: DomainName) -> Finding {
        Finding(
            id: "spf.no-record", severity: .error, title: "No SPF record",
            detail: "\(domain) publishes no v=spf1 TXT record, so receivers get SPF result none for mail from it; Gmail, Yahoo and Microsoft send unauthenticated bulk mail to spam or refuse it.",
            rfc: rfc("4.5"), fix: "Publish one TXT record such as \"v=spf1 mx -all\" listing every host that sends its mail.")
    }

    static func multipleRecords(domain: DomainName, records: [String]) -> Finding {
        Finding(
            id: "spf.multiple-records", severity: .error, title: "Several SPF records",
            detail: "\(domain) publishes \(records.count) v=spf1 records; receivers must return permerror.",
            evidence: records, rfc: rfc("4.5"), fix: "Merge them into one record.")
    }

    static func typeSPF(domain: DomainName) -> Finding {
        Finding(
            id: "spf.rr-type-spf", severity: .warning, title: "SPF RR type (99) still published",
            detail: "\(domain) publishes the SPF resource record type, which RFC 7208 removed; receivers ignore it and the two copies drift apart.",
            rfc: rfc("3.1"), fix: "Delete the type SPF record and keep the TXT record.")
    }

    /// The size lints of one TXT record: `spf.record-too-long` (over 450 bytes, §3.4) and
    /// `spf.string-too-long` (a character-string over 255 bytes, §3.3).
    public static func findings(forText txt: TXTData, domain: DomainName) -> [Finding] {
        var findings: [Finding] = []
        let length = txt.joinedBytes.count
        if length > SPFLimits.recommendedMaximumRecordLength {
            findings.append(Finding(
                id: "spf.record-too-long", severity: .warning, title: "SPF record over \(SPFLimits.recommendedMaximumRecordLength) bytes",
                detail: "The record of \(domain) is \(length) bytes; with the rest of the answer it may not fit a 512-byte UDP reply, forcing TCP or failing.",
                evidence: [txt.joined], rfc: rfc("3.4"), fix: "Shorten it, e.g. by moving ranges into an included record."))
        }
        if let long = txt.strings.first(where: { $0.count > SPFLimits.maximumCharacterString }) {
            findings.append(Finding(
                id: "spf.string-too-long", severity: .error, title: "TXT character-string over 255 bytes",
                detail: "A character-string of \(long.count) bytes cannot be carried in DNS; split the record into strings of at most 255 bytes (they are joined without spaces).",
                evidence: [txt.joined], rfc: rfc("3.3"), fix: "Write the record as several quoted strings: \"v=spf1 … \" \"… -all\"."))
        }
        return findings
    }

    static func syntax(domain: DomainName, error: SyntaxError) -> Finding {
        // The mechanism name as written (qualifier and arguments left off), and what was meant.
        let misspelt = error.term.flatMap { term -> (written: Substring, meant: String)? in
            var body = Substring(term)
            if let first = body.first, "+-~?".contains(first) { body = body.dropFirst() }
            let name = body.prefix { $0 != ":" && $0 != "/" && $0 != "=" }
            return SPFRecord.suggestion(for: String(name)).map { (name, $0) }
        }
        if let (written, meant) = misspelt {
            return Finding(
                id: "spf.misspelt-mechanism", severity: .error, title: "Misspelt mechanism \"\(written)\"",
                detail: "\(error.message) (offset \(error.offset)). An unknown mechanism makes the whole record of \(domain) permerror.\n\(error.pointer)",
                evidence: [error.input], rfc: rfc("4.6.1"), fix: "Write \"\(meant)\".")
        }
        return Finding(
            id: "spf.syntax", severity: .error, title: "SPF syntax error",
            detail: "The record of \(domain) does not parse, so receivers return permerror: \(error.description)\n\(error.pointer)",
            evidence: [error.input], rfc: rfc("4.6"), fix: "Correct the term at offset \(error.offset).")
    }

    /// Findings about one record on its own.
    ///
    /// - Parameter isTopChain: the record is the domain's own or reached by `redirect=` from it,
    ///   so its `all` decides the domain's default; for included records `?all`/missing `all` is normal.
    public static func findings(for record: SPFRecord, domain: DomainName, isTopChain: Bool = true) -> [Finding] {
        var findings: [Finding] = []
        let text = record.text
        let all = record.directives.first { $0.mechanism == .all }
        if let all {
            switch all.qualifier {
            case .pass:
                findings.append(Finding(
                    id: "spf.all-pass", severity: .error, title: "\(all.text) authorizes every host",
                    detail: "\"\(all.text)\" in the record of \(domain) makes SPF pass for any sender on the Internet\(isTopChain ? "" : ", and through the include for the including domain too").",
                    evidence: [text], rfc: rfc("5.1"), fix: "End the record with -all or ~all."))
            case .neutral where isTopChain:
                findings.append(Finding(
                    id: "spf.all-neutral", severity: .error, title: "?all asserts nothing",
                    detail: "\"\(all.text)\" gives neutral for unlisted hosts, which receivers treat like no SPF at all: mail that depends on SPF lands in spam.",
                    evidence: [text], rfc: rfc("5.1"), fix: "Use ~all while testing, then -all."))
            default: break
            }
            if let redirect = record.redirect {
                findings.append(Finding(
                    id: "spf.redirect-ignored", severity: .warning, title: "redirect= is ignored next to all",
                    detail: "\"all\" always matches, so \"\(redirect.text)\" in the record of \(domain) is never used.",
                    evidence: [text], rfc: rfc("6.1"), fix: "Remove either the all mechanism or the redirect= modifier."))
            }
        } else if record.redirect == nil, isTopChain {
            findings.append(Finding(
                id: "spf.no-all", severity: .warning, title: "No all and no redirect",
                detail: "Hosts not listed by the record of \(domain) get the default result neutral.",
                evidence: [text], rfc: rfc("4.7"), fix: "End the record with -all (or ~all)."))
        }
        for directive in record.directives {
            if case .ptr = directive.mechanism {
                findings.append(Finding(
                    id: "spf.ptr", severity: .warning, title: "ptr mechanism is deprecated",
                    detail: "\"\(directive.text)\" is slow, unreliable and some receivers ignore it.",
                    evidence: [text], rfc: rfc("5.5"), fix: "Replace it with ip4:/ip6: ranges or a: names."))
            }
        }
        for modifier in record.unknownModifiers {
            if let meant = SPFRecord.suggestion(for: modifier.name) ?? (SPFRecord.knownNames.contains(modifier.name.lowercased()) ? modifier.name.lowercased() : nil) {
                findings.append(Finding(
                    id: "spf.misspelt-mechanism", severity: .warning, title: "\"\(modifier.text)\" is an ignored modifier",
                    detail: "\"\(modifier.text)\" parses as an unknown modifier (name=value), which receivers ignore; \"\(meant)\" was probably meant, written with ':' if it is a mechanism.",
                    evidence: [text], rfc: rfc("6"), fix: "Write \"\(meant):\(modifier.value.text)\" or \"\(meant)=\(modifier.value.text)\" as the syntax requires."))
            } else {
                findings.append(Finding(
                    id: "spf.unknown-modifier", severity: .info, title: "Unknown modifier \(modifier.name)=",
                    detail: "Receivers ignore \"\(modifier.text)\".", evidence: [text], rfc: rfc("6"),
                    fix: "Remove it unless a specific receiver needs it."))
            }
        }
        return findings
    }

    static func includeSelf(term: String, domain: DomainName, record: String) -> Finding {
        Finding(
            id: "spf.include-self", severity: .error, title: "\(domain) includes itself",
            detail: "\"\(term)\" makes the record include itself; evaluation loops until the lookup limit gives permerror.",
            evidence: [record], rfc: rfc("5.2"), fix: "Remove \"\(term)\".")
    }

    static func loop(term: String, path: [DomainName], record: String) -> Finding {
        Finding(
            id: "spf.loop", severity: .error, title: "Include/redirect loop",
            detail: "\"\(term)\" leads back to a record already being evaluated: \(path.map(\.description).joined(separator: " → ")). Receivers return permerror once the lookup limit is hit.",
            evidence: [record], rfc: rfc("4.6.4"), fix: "Break the cycle.")
    }

    static func includeWithoutRecord(term: String, domain: DomainName, from record: String?) -> Finding {
        Finding(
            id: "spf.include-no-record", severity: .error, title: "Included domain has no SPF record",
            detail: "\"\(term)\": \(domain) publishes no SPF record, so the include gives permerror for every sender reaching it.",
            evidence: [record ?? term], rfc: rfc("5.2"), fix: "Fix the name or remove the include.")
    }

    static func redirectWithoutRecord(term: String, domain: DomainName, from record: String?) -> Finding {
        Finding(
            id: "spf.redirect-no-record", severity: .error, title: "Redirect target has no SPF record",
            detail: "\"\(term)\": \(domain) publishes no SPF record, so the redirect gives permerror.",
            evidence: [record ?? term], rfc: rfc("6.1"), fix: "Point redirect= at a domain with an SPF record.")
    }

    static func macroUnchecked(term: String, domain: DomainName, record: String) -> Finding {
        Finding(
            id: "spf.macro-unchecked", severity: .info, title: "Macro term cannot be checked statically",
            detail: "\"\(term)\" in the record of \(domain) depends on the message (sender, client address); its lookups and what it includes are not counted or followed here. The counts below are a lower bound.",
            evidence: [record], rfc: rfc("7"), fix: nil)
    }

    static func mxLimit(term: String, domain: DomainName, count: Int, record: String) -> Finding {
        Finding(
            id: "spf.mx-limit", severity: .error, title: "mx target has more than \(SPFLimits.maximumMXNames) exchangers",
            detail: "\"\(term)\" in the record of \(domain) finds \(count) MX names; receivers return permerror past \(SPFLimits.maximumMXNames).",
            evidence: [record], rfc: rfc("4.6.4"), fix: "List the senders with ip4:/ip6: instead.")
    }

    static func dnsFailure(domain: DomainName, error: DNSError) -> Finding {
        if error.kind == .outsideZoneData {
            return Finding(
                id: "spf.dns-failure", severity: .warning, title: "Not checked: a name lies outside the zone files",
                detail: "\(error). Nothing is known to be missing.", rfc: rfc("2.6.6"),
                fix: "Add the zone file that holds \(error.question.name), or let names outside the zone files be asked over the network.")
        }
        return Finding(
            id: "spf.dns-failure", severity: .warning, title: "DNS failure; analysis incomplete",
            detail: "\(error). Receivers hitting this get temperror.", rfc: rfc("2.6.6"),
            fix: "Check the authoritative servers of \(domain).")
    }

    static func overlap(_ a: String, in aDomain: String, _ b: String, in bDomain: String, duplicate: Bool) -> Finding {
        let place = aDomain == bDomain ? "in the record of \(aDomain)" : "in \(aDomain) and \(bDomain)"
        return Finding(
            id: "spf.ip-overlap", severity: .info, title: duplicate ? "Duplicated IP range" : "Overlapping IP ranges",
            detail: "\"\(a)\" and \"\(b)\" \(place) \(duplicate ? "are the same range" : "overlap").",
            evidence: ["\(a) \(b)"], rfc: rfc("5.6"), fix: "Keep the wider range only.")
    }

    /// `spf.lookup-limit` and `spf.void-limit` (RFC 7208 §4.6.4) for the worst-case counts.
    ///
    /// - Parameter clientVoids: how many of the void lookups (counted in both families) depend on the
    ///   client: `ptr` terms and `exists` terms with macros, void for a client without reverse DNS
    ///   and a sender the `exists` target does not list.
    static func limitFindings(domain: DomainName, ipv4: SPFLookupCount, ipv6: SPFLookupCount, clientVoids: Int = 0) -> [Finding] {
        var findings: [Finding] = []
        let limit = SPFLimits.maximumDNSMechanisms
        if ipv4.dnsLookups > limit || ipv6.dnsLookups > limit {
            let count = max(ipv4.dnsLookups, ipv6.dnsLookups)
            findings.append(Finding(
                id: "spf.lookup-limit", severity: .error, title: "More than \(limit) DNS lookups",
                detail: "A receiver evaluating \(domain) for a sender that matches nothing evaluates \(count) DNS-querying terms (include, a, mx, ptr, exists, redirect; all, ip4, ip6 and exp do not count, MX address lookups do not count) and returns permerror past \(limit).",
                evidence: ["IPv4: \(ipv4.dnsLookups), IPv6: \(ipv6.dnsLookups)"], rfc: rfc("4.6.4"),
                fix: "Replace includes and a/mx terms with ip4:/ip6: ranges, or drop unused includes."))
        }
        let voidLimit = SPFLimits.maximumVoidLookups
        let v4Over = ipv4.voidLookups > voidLimit
        let v6Over = ipv6.voidLookups > voidLimit
        if v4Over || v6Over {
            let who = v4Over && v6Over ? "every client" : v6Over ? "IPv6 clients only (names with A but no AAAA records are void for them)" : "IPv4 clients only"
            let worstCase = clientVoids == 0 ? "" : " This is the worst case: \(clientVoids) of the void lookups depend on the client, a ptr term (void for a client without reverse DNS) or an exists term with macros (void for every sender it does not list)."
            findings.append(Finding(
                id: "spf.void-limit", severity: .error, title: "More than \(voidLimit) void lookups",
                detail: "Terms whose lookups answer NXDOMAIN or NODATA for a sender that matches nothing: IPv4 \(ipv4.voidLookups), IPv6 \(ipv6.voidLookups). Receivers return permerror past \(voidLimit), here for \(who).\(worstCase)",
                evidence: ["IPv4: \(ipv4.voidLookups), IPv6: \(ipv6.voidLookups)"], rfc: rfc("4.6.4"),
                fix: "Remove ptr and terms naming hosts that do not exist or lack addresses of that family, or publish AAAA records."))
        }
        return findings
    }
}

