import DNSCore
import MailAuthCore

/// One answer the DNSSEC area validated, as the report shows it (JSON `areas[].dnssec[]`).
public struct DNSSECAnswerReport: Codable, Sendable, Hashable {
    /// The name asked (`example.com.`).
    public var name: String
    /// The type asked (`MX`, `TXT`, `TLSA`).
    public var type: String
    /// `secure`, `insecure`, `bogus` or `indeterminate` (RFC 4035 §4.3).
    public var security: DNSSECSecurity
    /// Why, as a stable code (`chain-of-trust`, `unsigned-delegation`, `signature-expired`, …).
    public var reason: String
    /// Why, as a sentence with its RFC section.
    public var detail: String

    public init(_ validation: DNSSECValidation) {
        name = validation.question.name.fullyQualified
        type = validation.question.type.description
        security = validation.security
        reason = validation.reason.code
        detail = validation.reason.description
    }
}

/// The DNSSEC area. With a validator (``Auditor/Options/dnssecValidator``), dnsaudit validates
/// itself, from the trust anchor down, the answers mail security rests on: MX, the MTA-STS TXT
/// record and each MX host's TLSA record (DANE, RFC 7672 §2.2), and for an MX host that is an
/// alias, the TLSA records at the name its CNAME chain ends at when its address records
/// validate as secure (RFC 7672 §2.2.2). Without one, it reports the AD
/// flag of a validating resolver (RFC 4035 §3.2.3), which an authoritative server or zone file
/// never sets.
struct DNSSECCheck {
    let domain: DomainName
    let resolver: any DNSResolver
    let names: Setting.Names
    let validator: (any DNSSECValidating)?
    let timeout: Duration

    /// Ids of this area's findings.
    static let ids = [
        "dnssec.bogus", "dnssec.insecure", "dnssec.indeterminate", "dane.tlsa-insecure", "dane.unusable-usage",
        "dane.no-usable-tlsa",
    ]

    /// Most MX hosts whose TLSA records are validated.
    static let maximumTLSAHosts = 8

    /// The area's report; the questions validation asked and took from its cache (the audit's
    /// `questions` and `cacheHits` count them); and, for DANE, the DNSSEC-secure TLSA records of
    /// each MX host (by host name, lower case, without the trailing dot), none without a validator.
    struct Outcome {
        var report: AreaReport
        var questions = 0
        var cacheHits = 0
        var secureTLSA: [String: HostTLSA] = [:]
    }

    /// The DNSSEC-secure TLSA records a DANE sender uses for one MX host, and the TLSA base
    /// domain they were found under: the host, or the end of its CNAME chain (RFC 7672 §2.2.2).
    struct HostTLSA {
        var base: DomainName
        var records: [TLSARecord]

        /// Where the records are: `_25._tcp.` and the base domain.
        var owner: String { DNSSECCheck.tlsaPrefix + "." + base.description }
    }

    /// `aliased`: the MX hosts whose address records were reached through a CNAME. For each,
    /// the address records are validated too; when the whole chain is secure, the TLSA records
    /// are looked up first at the fully expanded name, then at the MX host's own name when none
    /// are there (RFC 7672 §2.2.2).
    func run(mxHosts: [DomainName], aliased: Set<DomainName> = []) async -> Outcome {
        guard let validator else { return Outcome(report: await adFlag()) }
        let started = ContinuousClock.now
        let hosts = Array(mxHosts.prefix(Self.maximumTLSAHosts))
        var questions = [DNSQuestion(domain, .mx)]
        if let sts = try? domain.prepending(MTASTSCheck.prefix) { questions.append(DNSQuestion(sts, .txt)) }
        for host in hosts {
            if let tlsa = try? host.prepending(Self.tlsaPrefix) { questions.append(DNSQuestion(tlsa, .tlsa)) }
        }
        for host in hosts where aliased.contains(host) { questions.append(DNSQuestion(host, .a)) }
        var validations = await Self.validateAll(questions, validator: validator, timeout: timeout)
        // The TLSA base domain of a secure alias: the end of its chain (RFC 7672 §2.2.2).
        var targets: [DomainName: DomainName] = [:]
        for validation in validations where validation.question.type == .a && validation.security == .secure {
            if let target = validation.cnameChain.last { targets[validation.question.name] = target }
        }
        var asked = Set(questions)
        let followUp = hosts.compactMap { targets[$0].flatMap { try? $0.prepending(Self.tlsaPrefix) } }
            .map { DNSQuestion($0, .tlsa) }
            .filter { asked.insert($0).inserted }
        if !followUp.isEmpty {
            let left = max(.zero, timeout - (ContinuousClock.now - started))
            validations += await Self.validateAtOnce(followUp, validator: validator, timeout: left)
        }
        var secureTLSA: [String: HostTLSA] = [:]
        for host in hosts {
            if let found = Self.baseDomainTLSA(host: host, expanded: targets[host], validations: validations) {
                secureTLSA[host.description.lowercased()] = found
            }
        }
        // The address validations only decide a base domain: they are not reported, as no other
        // MX host's addresses are (an unsigned provider zone behind a signed alias does not stop DANE).
        return Outcome(
            report: Self.report(validations.filter { $0.question.type != .a }, names: names),
            questions: validations.map(\.questionsAsked).reduce(0, +),
            cacheHits: validations.map(\.cacheHits).reduce(0, +), secureTLSA: secureTLSA)
    }

    /// The labels before an MX host's name where its TLSA records are (RFC 6698 §3: port 25, TCP).
    static let tlsaPrefix = "_25._tcp"

    /// The DNSSEC-secure TLSA records a DANE sender uses for one MX host (RFC 7672 §2.2.2):
    /// those under `expanded` (the end of the host's CNAME chain, when the chain is secure) when
    /// there are some; when it securely has none (or is unsigned), those under the host's own
    /// name. A bogus or unanswered lookup under the expanded name ends the search with none: a
    /// sender defers rather than fall back. Nil when there are none.
    static func baseDomainTLSA(host: DomainName, expanded: DomainName?, validations: [DNSSECValidation]) -> HostTLSA? {
        if let expanded, expanded != host {
            switch lookup(under: expanded, in: validations) {
            case .found(let records): return records
            case .failed: return nil
            case .none: break
            }
        }
        if case .found(let records) = lookup(under: host, in: validations) { return records }
        return nil
    }

    /// What the TLSA validation under one base domain gave a DANE sender.
    enum TLSALookup {
        /// DNSSEC-secure records.
        case found(HostTLSA)
        /// None that count: a secure denial, or records that are not secure.
        case none
        /// Bogus or indeterminate: the sender stops here.
        case failed
    }

    static func lookup(under base: DomainName, in validations: [DNSSECValidation]) -> TLSALookup {
        guard let name = try? base.prepending(tlsaPrefix) else { return .none }
        let found = validations.filter { $0.question.type == .tlsa && $0.question.name == name }
        if found.contains(where: { $0.security == .bogus || $0.security == .indeterminate }) { return .failed }
        let records = found.filter { $0.security == .secure && $0.outcome == .answer }.flatMap(\.records)
            .compactMap(TLSARecord.init)
        return records.isEmpty ? .none : .found(HostTLSA(base: base, records: records))
    }

    /// Validates the first question (the MX), then the others at once; the results in the
    /// questions' order. The first validation fills the validator's cache with the chain above
    /// the domain (root, TLD, the domain's own keys), which the others share instead of asking
    /// it again each.
    static func validateAll(
        _ questions: [DNSQuestion], validator: any DNSSECValidating, timeout: Duration
    ) async -> [DNSSECValidation] {
        guard let first = questions.first else { return [] }
        let started = ContinuousClock.now
        let opening = await validator.validate(first, timeout: timeout)
        let left = max(.zero, timeout - (ContinuousClock.now - started))
        return [opening] + (await validateAtOnce(Array(questions.dropFirst()), validator: validator, timeout: left))
    }

    /// Validates every question at once; the results in the questions' order.
    static func validateAtOnce(
        _ questions: [DNSQuestion], validator: any DNSSECValidating, timeout: Duration
    ) async -> [DNSSECValidation] {
        await withTaskGroup(of: (Int, DNSSECValidation).self) { group in
            for (index, question) in questions.enumerated() {
                group.addTask { (index, await validator.validate(question, timeout: timeout)) }
            }
            var results: [(Int, DNSSECValidation)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// What the label of a validated answer is in a sentence: `MX`, `MTA-STS TXT`, `TLSA at …`.
    static func label(_ question: DNSQuestion) -> String {
        switch question.type {
        case .mx: "MX"
        case .txt: "MTA-STS TXT"
        case .tlsa: "TLSA (\(question.name))"
        default: "\(question.type) (\(question.name))"
        }
    }

    static func report(_ validations: [DNSSECValidation], names: Setting.Names) -> AreaReport {
        let answers = validations.map(DNSSECAnswerReport.init)
        var records: [String] = []
        for validation in validations {
            records.append("\(validation.question): \(validation.security.rawValue) (\(validation.reason.code))")
            records += validation.trust.rendered().renderedLines.map { "  " + $0 }
        }
        var findings: [Finding] = []
        let bogus = validations.filter { $0.security == .bogus }
        let insecure = validations.filter { $0.security == .insecure }
        let indeterminate = validations.filter { $0.security == .indeterminate }
        if !bogus.isEmpty {
            let tlsa = bogus.contains { $0.question.type == .tlsa }
            findings.append(Finding(
                id: "dnssec.bogus", severity: .error,
                title: "DNSSEC validation fails: validating resolvers answer SERVFAIL",
                detail: "\(bogus.map { label($0.question) }.joined(separator: ", ")) fail validation: \(bogus[0].reason.description). "
                    + "Senders behind a validating resolver cannot read these answers, so mail to the domain is delayed or bounced"
                    + (tlsa ? "; a bogus TLSA record makes DANE senders defer delivery (RFC 7672 §2.1.1)." : "."),
                evidence: bogus.map(\.summary), rfc: "RFC 4035 §5.5",
                fix: "Re-sign the zone (expired or broken signatures), or make the DS records at the registrar match the zone's current keys."))
        }
        if !insecure.isEmpty {
            let zones = Set(insecure.compactMap { $0.reason.zone?.fullyQualified }).sorted()
            findings.append(Finding(
                id: "dnssec.insecure", severity: .info,
                title: "DNSSEC: answers are unsigned (insecure)",
                detail: "\(insecure.map { label($0.question) }.joined(separator: ", ")) cannot be validated: \(insecure[0].reason.description). "
                    + "An attacker on the path can forge them (a different MX, no MTA-STS policy), and DANE cannot work.",
                evidence: insecure.map(\.summary) + zones.map { "insecure at \($0)" }, rfc: "RFC 4035 §5.2",
                fix: "Sign the zone at your DNS host and publish its DS record at the registrar."))
        }
        if !indeterminate.isEmpty {
            findings.append(Finding(
                id: "dnssec.indeterminate", severity: .warning,
                title: "DNSSEC could not be validated",
                detail: "\(indeterminate.map { label($0.question) }.joined(separator: ", ")): \(indeterminate[0].reason.description). Nothing is known to be wrong.",
                evidence: indeterminate.map(\.summary), rfc: "RFC 4035 §4.3",
                fix: "Check that the domain's nameservers answer DNSSEC queries (DO bit), or give a trust anchor with \(names[.trustAnchor])."))
        }
        findings += daneFindings(validations)
        let secure = validations.filter { $0.security == .secure }
        let summary: String
        if !bogus.isEmpty {
            summary = "bogus: \(bogus.map { label($0.question) }.joined(separator: ", ")) fail validation"
        } else if secure.count == validations.count, !validations.isEmpty {
            summary = "secure: " + listed(secure.map { label($0.question) }) + " answers are DNSSEC-secure"
        } else if !secure.isEmpty {
            summary = "partly secure: " + listed(secure.map { label($0.question) }) + " DNSSEC-secure; "
                + listed((insecure + indeterminate).map { label($0.question) }) + " not"
        } else if !insecure.isEmpty {
            summary = "insecure: the zone is not signed"
        } else {
            summary = "not validated"
        }
        // A DNS failure leaves the area incomplete; a missing trust anchor is a warning.
        let failed = indeterminate.contains { if case .dnsFailure = $0.reason { true } else { false } }
        // Unsigned is "absent", as an unpublished record is: not a pass with a check mark.
        let unsigned = bogus.isEmpty && secure.isEmpty && indeterminate.isEmpty && !insecure.isEmpty
            && findings.allSatisfy { $0.severity == .info }
        return AreaReport(
            area: .dnssec, status: failed && bogus.isEmpty ? .incomplete : (unsigned || validations.isEmpty ? .absent : nil),
            summary: summary, records: records,
            findings: findings, dnssec: answers)
    }

    static func listed(_ labels: [String]) -> String {
        switch labels.count {
        case 0: ""
        case 1: labels[0]
        default: labels.dropLast().joined(separator: ", ") + " and " + (labels.last ?? "")
        }
    }

    /// DANE for SMTP (RFC 7672): TLSA records count only when secure; PKIX usages (0, 1) are
    /// unusable for SMTP (§3.1.3).
    static func daneFindings(_ validations: [DNSSECValidation]) -> [Finding] {
        var findings: [Finding] = []
        for validation in validations where validation.question.type == .tlsa && validation.outcome == .answer {
            let tlsa = validation.records.compactMap(TLSARecord.init)
            if validation.security == .insecure {
                findings.append(Finding(
                    id: "dane.tlsa-insecure", severity: .warning,
                    title: "TLSA records in an unsigned zone are ignored",
                    detail: "\(validation.question.name) has TLSA records, but they are not DNSSEC-secure (\(validation.reason.description)): senders ignore them and DANE does not protect this MX.",
                    evidence: validation.records.map(\.presentation), rfc: "RFC 7672 §2.2",
                    fix: "Sign the zone that holds \(validation.question.name) and publish its DS, or remove the TLSA records."))
                continue
            }
            guard validation.security == .secure else { continue }
            let unusable = tlsa.filter { $0.usage == .pkixTA || $0.usage == .pkixEE }
            if !unusable.isEmpty {
                findings.append(Finding(
                    id: "dane.unusable-usage", severity: .warning,
                    title: "TLSA usage PKIX-TA(0)/PKIX-EE(1) is unusable for SMTP",
                    detail: "\(validation.question.name) has TLSA records with certificate usage 0 or 1; SMTP senders treat them as unusable, as there is no agreed set of trusted CAs for MX hosts.",
                    evidence: unusable.map(\.description), rfc: "RFC 7672 §3.1.3",
                    fix: "Publish DANE-EE(3) or DANE-TA(2) records (e.g. `3 1 1 <SHA-256 of the public key>`)."))
            }
            if !tlsa.isEmpty, unusable.count == tlsa.count {
                findings.append(Finding(
                    id: "dane.no-usable-tlsa", severity: .warning,
                    title: "No usable TLSA record: DANE does not protect this MX",
                    detail: "Every TLSA record at \(validation.question.name) is unusable for SMTP, so DANE senders treat the MX as having none.",
                    evidence: tlsa.map(\.description), rfc: "RFC 7672 §3.1",
                    fix: "Add a DANE-EE(3) or DANE-TA(2) record."))
            }
        }
        return findings
    }

    /// The AD flag of the resolver, when dnsaudit does not validate itself (RFC 4035 §3.2.3).
    private func adFlag() async -> AreaReport {
        let response: DNSResponse
        do { response = try await ask(resolver, domain, .soa) } catch {
            return AreaReport(
                area: .dnssec, status: .incomplete, summary: "DNS failure", findings: [.incomplete(.dnssec, error.error, names: names)])
        }
        if response.authenticatedData {
            return AreaReport(area: .dnssec, summary: "validated (AD flag set by \(response.server))", findings: [])
        }
        let why = response.transport == .zone
            ? "answers come from a zone file, which nothing validates"
            : "the resolver \(response.server) did not set the AD flag: the zone is unsigned, or the resolver does not validate"
        return AreaReport(area: .dnssec, status: .absent, summary: "not validated", findings: [Finding(
            id: "dnssec.not-validated", severity: .info, title: "DNSSEC not validated",
            detail: "Not validated: \(why). DNSSEC protects MX, MTA-STS and DANE answers from forgery.",
            rfc: "RFC 4035 §3.2.3",
            fix: "Sign the zone at your DNS host; to see validation here, audit with a validating resolver (\(names[.nameserver])) and \(names[.dnssec]).")])
    }
}
