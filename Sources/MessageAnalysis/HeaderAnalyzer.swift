import DKIM
import DMARC
import DNSCore
import Foundation
import MailAuthCore
import SPF

/// Reads a received message's headers (what "Show original" gives) into a ``HeaderAnalysis``.
///
/// ```swift
/// let analyzer = HeaderAnalyzer(resolver: resolver)           // resolver: nil skips re-evaluation
/// let analysis = try await analyzer.analyze(Array(pasted.utf8))
/// for finding in analysis.findings { print(finding.severity, finding.title) }
/// ```
///
/// Parsing never fails on a malformed field: what cannot be read is in ``HeaderAnalysis/problems``.
/// Only input that is not a message at all (empty, binary) throws.
public struct HeaderAnalyzer: Sendable {
    /// Answers the re-evaluation's questions; `nil` reports them as not checked.
    public var resolver: (any DNSResolver)?
    /// The receiver's authserv-id (RFC 8601 §2.5): its Authentication-Results fields are trusted
    /// and the hop its host received sets the trust boundary.
    public var authservID: String?
    /// The time "now" is, for `x=` and the label "as evaluated now".
    public var now: @Sendable () -> Date
    /// Overall time allowed for each engine's DNS work.
    public var timeout: Duration

    public init(
        resolver: (any DNSResolver)?, authservID: String? = nil, timeout: Duration = .seconds(20),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.resolver = resolver
        self.authservID = authservID
        self.timeout = timeout
        self.now = now
    }

    /// Analyses a message (or only its header).
    ///
    /// - Throws: ``MessageReadError`` when the input is empty or is not a message.
    public func analyze(_ bytes: some Collection<UInt8>) async throws(MessageReadError) -> HeaderAnalysis {
        let text = try MessageText(parsing: bytes)
        return await analyze(text, bodyIncluded: !text.body.isEmpty)
    }

    /// Analyses an already read message; `bodyIncluded` is false for a header alone (a bounce's
    /// `text/rfc822-headers`), so a DKIM body-hash failure is explained by that.
    public func analyze(_ text: MessageText, bodyIncluded: Bool) async -> HeaderAnalysis {
        let received = ReceivedChain(message: text)
        let arFields = text.fields.filter { $0.hasName("Authentication-Results") }
        let aarFields = text.fields.filter { $0.hasName("ARC-Authentication-Results") }
        let parsedAR = arFields.map { (AuthenticationResults(parsing: $0.value), $0.line) }
        let returnPath = text.first("Return-Path").map { value -> String in
            Addresses.all(in: value).first ?? value.trimmingCharacters(in: CharacterSet(charactersIn: "<> "))
        }

        // The trust boundary.
        var boundary = await trustBoundary(text: text, chain: received, authenticationResults: parsedAR.map(\.0))
        if boundary != nil, boundary?.mailFrom == nil, let returnPath {
            boundary?.mailFrom = returnPath
            boundary?.evidence.append("MAIL FROM \(returnPath.isEmpty ? "<>" : returnPath) from Return-Path")
        }

        // Which Authentication-Results fields are the receiver's.
        let trustedID = authservID ?? boundary?.receiver.flatMap { receiver in
            parsedAR.first { Self.sameHost($0.0.authservID, receiver) }?.0.authservID
        }
        var recorded: [HeaderAnalysis.RecordedResults] = []
        for (index, (results, line)) in parsedAR.enumerated() {
            let trusted: Bool
            if let trustedID { trusted = Self.sameHost(results.authservID, trustedID) } else { trusted = index == 0 }
            recorded.append(HeaderAnalysis.RecordedResults(results: results, line: line, trusted: trusted))
        }
        let verdicts = Self.verdicts(recorded.first(where: \.trusted)?.results)

        // Parse the header for the engines.
        // The header block ends with its last field's line end; one empty line then ends it.
        var headerBytes = text.headerBytes
        if headerBytes.last != 0x0A { headerBytes += [0x0D, 0x0A] }
        headerBytes += [0x0D, 0x0A]
        let mailMessage = try? MailMessage(parsing: headerBytes + text.body)

        var findings = SpamFolderHints.findings(text, mailFrom: boundary?.mailFrom ?? returnPath)
        var reevaluation: Reevaluation
        var arc: ARCVerification?
        if let mailMessage {
            arc = await ARCVerifier(resolver: resolver, timeout: timeout).verify(mailMessage)
            if arc?.status == ARCVerification.ChainStatus.none { arc = nil }
        }
        if let resolver {
            reevaluation = await reevaluate(
                text: text, message: mailMessage, boundary: boundary, resolver: resolver, bodyIncluded: bodyIncluded)
            reevaluation.differences = Self.differences(verdicts: verdicts, now: reevaluation, bodyIncluded: bodyIncluded, arc: arc)
        } else {
            reevaluation = .notChecked("DNS was not allowed (--no-dns): SPF, DKIM and DMARC were not evaluated now")
        }

        // Findings: what the receiver recorded, the differences, the path, the reading.
        for verdict in verdicts where ["spf", "dkim", "dmarc", "compauth"].contains(verdict.method) {
            guard ["fail", "softfail", "permerror", "temperror"].contains(verdict.result) else { continue }
            findings.append(Finding(
                id: MessageFindingID.receiverFailed, severity: verdict.method == "spf" && verdict.result == "softfail" ? .warning : .error,
                title: "The receiver recorded \(verdict.method)=\(verdict.result)\(verdict.identity.map { " for \($0)" } ?? "")",
                detail: "The receiver's own Authentication-Results field says \(verdict.method) did not pass\(verdict.note.map { " (\($0))" } ?? ""). That is what it used to decide on spam.",
                rfc: "RFC 8601 §2.7", fix: Self.fix(for: verdict.method)))
        }
        for difference in reevaluation.differences {
            findings.append(Finding(
                id: MessageFindingID.differsNow, severity: .info,
                title: "\(difference.method)\(difference.identity.map { " for \($0)" } ?? ""): receiver \(difference.receiver), \(Reevaluation.label) \(difference.now)",
                detail: difference.explanation, rfc: nil, fix: nil))
        }
        let skewed = received.hops.filter { $0.delay == .clockSkew }
        if !skewed.isEmpty {
            findings.append(Finding(
                id: MessageFindingID.clockSkew, severity: .info, title: "Clock skew between relays",
                detail: "\(skewed.count) hop(s) are dated before the hop that handed them the message: the servers' clocks disagree. The delays shown there are negative, not real.",
                evidence: skewed.map { "hop \($0.number) by \($0.field.by ?? "?"): \(Int(($0.delaySeconds ?? 0).rounded())) s" }))
        }
        if let arc, arc.status == .fail {
            findings.append(Finding(
                id: MessageFindingID.arcFailed, severity: .warning, title: "The ARC chain does not validate",
                detail: "\(arc.reason ?? "") A receiver ignores a broken chain, so a forwarder's record of the original authentication does not help this message.",
                rfc: "RFC 8617 §5.2"))
        }
        if boundary == nil {
            findings.append(Finding(
                id: MessageFindingID.noTrustBoundary, severity: .info, title: "Trust boundary not found",
                detail: "No Received field was written by the receiver (no --authserv-id, no MX match, no Authentication-Results authserv-id), and no Received-SPF or X-Forefront-Antispam-Report gives the client IP: SPF cannot be evaluated again.",
                fix: "Give --authserv-id (the name in the receiver's Authentication-Results field, e.g. mx.google.com)."))
        }
        if !text.problems.isEmpty {
            findings.append(Finding(
                id: MessageFindingID.unreadable, severity: .warning, title: "Part of the header could not be read",
                detail: "The analysis covers what could be read; the rest is listed.", evidence: text.problems.map(\.description)))
        }
        findings.sort { $0.severity > $1.severity }

        let summary = HeaderAnalysis.Summary(
            from: text.values("From"), to: text.first("To"), subject: text.first("Subject"), messageID: text.first("Message-ID"),
            date: text.first("Date"), returnPath: returnPath)
        return HeaderAnalysis(
            summary: summary, received: received, trustBoundary: boundary, authenticationResults: recorded,
            arcAuthenticationResults: aarFields.map { AuthenticationResults(parsing: $0.value, arc: true) },
            receiverVerdicts: verdicts, reevaluation: reevaluation, arc: arc, findings: findings, problems: text.problems)
    }

    static func fix(for method: String) -> String {
        switch method {
        case "spf": "Authorize the sending IP in the SPF record of the MAIL FROM domain; check with: dnsaudit spf DOMAIN --ip IP --sender ADDRESS --trace"
        case "dkim": "Sign with a key published at the selector; check with: dnsaudit dkim verify FILE"
        default: "Align SPF or DKIM with the From domain; check with: dnsaudit dmarc DOMAIN"
        }
    }

    /// Whether host names `a` and `b` name the same receiver (equal, or one inside the other).
    static func sameHost(_ a: String?, _ b: String?) -> Bool {
        guard let a = a?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ".")),
              let b = b?.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: "."))
        else { return false }
        return a == b || a.hasSuffix("." + b) || b.hasSuffix("." + a)
    }

    /// Whether two host names belong to the same organisation (Organizational Domain, RFC 7489
    /// §3.2): Yahoo's `atlas220.free.mail.bf1.yahoo.com` writes A-R for `mta4020.mail.bf1.yahoo.com`.
    static func sameOrganization(_ a: String, _ b: String) -> Bool {
        guard a.contains("."), b.contains(".") else { return false }
        return Addresses.organizationalDomain(a) == Addresses.organizationalDomain(b)
    }

    // MARK: - The trust boundary

    func trustBoundary(text: MessageText, chain: ReceivedChain, authenticationResults: [AuthenticationResults]) async
        -> TrustBoundary?
    {
        var hop: ReceivedChain.Hop?
        var source: TrustBoundary.Source?
        var receiver: String?
        var evidence: [String] = []
        if let authservID {
            hop = chain.firstHop { Self.sameHost($0, authservID) } ?? chain.firstHop { Self.sameOrganization($0, authservID) }
            source = .authservID
            receiver = authservID
            if hop == nil { evidence.append("no Received field was written by \(authservID) (--authserv-id)") }
        }
        if hop == nil, let resolver, let domain = Self.recipientDomain(text), let name = try? DomainName(domain) {
            let limited = DeadlineResolver(resolver, timeout: timeout)
            if let response = try? await limited.query(name, .mx) {
                let hosts = response.mx.map { $0.exchange.description.lowercased() }
                if let found = chain.firstHop(receivedBy: { by in hosts.contains { $0.trimmingCharacters(in: CharacterSet(charactersIn: ".")) == by.lowercased() } }) {
                    hop = found
                    source = .mxHost
                    receiver = found.field.by
                    evidence.append("hop \(found.number) was received by \(found.field.by ?? "?"), an MX host of \(domain)")
                }
            }
        }
        if hop == nil, authservID == nil, let top = authenticationResults.first(where: { $0.authservID != nil }),
           let id = top.authservID {
            if let found = chain.firstHop(receivedBy: { Self.sameHost($0, id) }) ?? chain.firstHop(receivedBy: { Self.sameOrganization($0, id) }) {
                hop = found
                source = .topAuthenticationResults
                receiver = id
                evidence.append("hop \(found.number) was received by \(found.field.by ?? "?"), the authserv-id of the topmost Authentication-Results field")
            }
        }
        var boundary: TrustBoundary?
        if let hop, let source {
            boundary = TrustBoundary(
                source: source, receiver: receiver ?? hop.field.by, hop: hop.number, ip: hop.field.fromIP, helo: hop.field.helo,
                mailFrom: nil, evidence: evidence)
            if let ip = hop.field.fromIP { boundary?.evidence.append("client IP \(ip) from the from-clause of hop \(hop.number)") }
            if let helo = hop.field.helo { boundary?.evidence.append("HELO \(helo) from hop \(hop.number)") }
        }
        // Fallbacks for the IP: Received-SPF client-ip=, then Microsoft's CIP:.
        if boundary?.ip == nil {
            if let spf = text.first("Received-SPF"), let ip = Self.keyValue(spf, "client-ip") {
                if boundary == nil {
                    boundary = TrustBoundary(source: .receivedSPF, receiver: receiver, hop: nil, ip: nil, helo: nil, mailFrom: nil, evidence: evidence)
                }
                boundary?.ip = ip
                boundary?.evidence.append("client IP \(ip) from Received-SPF client-ip=")
                if boundary?.helo == nil, let helo = Self.keyValue(spf, "helo") {
                    boundary?.helo = helo
                    boundary?.evidence.append("HELO \(helo) from Received-SPF helo=")
                }
            } else if let forefront = text.first("X-Forefront-Antispam-Report"), let ip = Self.forefrontCIP(forefront) {
                if boundary == nil {
                    boundary = TrustBoundary(source: .forefrontCIP, receiver: receiver, hop: nil, ip: nil, helo: nil, mailFrom: nil, evidence: evidence)
                }
                boundary?.ip = ip
                boundary?.evidence.append("client IP \(ip) from X-Forefront-Antispam-Report CIP:")
                if boundary?.helo == nil, let helo = Self.forefrontField(forefront, "H") {
                    boundary?.helo = helo
                    boundary?.evidence.append("HELO \(helo) from X-Forefront-Antispam-Report H:")
                }
            }
        }
        return boundary
    }

    /// The domain of the recipient: Delivered-To, X-Original-To, else the first To address.
    static func recipientDomain(_ text: MessageText) -> String? {
        for name in ["Delivered-To", "X-Original-To", "To"] {
            if let value = text.first(name), let address = Addresses.all(in: value).first, let domain = Addresses.domain(of: address) {
                return domain
            }
        }
        return nil
    }

    /// `key=value` inside a Received-SPF field (RFC 7208 §9.1 `key-value-pair`).
    static func keyValue(_ field: String, _ key: String) -> String? {
        for piece in field.split(whereSeparator: { $0 == ";" || $0 == " " || $0 == "\t" || $0 == "(" || $0 == ")" }) {
            let parts = piece.split(separator: "=", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == key {
                return parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"<>"))
            }
        }
        return nil
    }

    /// `CIP:192.0.2.1` in `X-Forefront-Antispam-Report: CIP:…;CTRY:…;…`.
    static func forefrontCIP(_ value: String) -> String? {
        guard let ip = forefrontField(value, "CIP"), IPAddress(ip) != nil else { return nil }
        return ip
    }

    static func forefrontField(_ value: String, _ name: String) -> String? {
        for piece in value.split(separator: ";") {
            let parts = piece.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces).uppercased() == name {
                let text = parts[1].trimmingCharacters(in: .whitespaces)
                return text.isEmpty ? nil : text
            }
        }
        return nil
    }

    // MARK: - What the receiver recorded

    static func verdicts(_ results: AuthenticationResults?) -> [HeaderAnalysis.ReceiverVerdict] {
        guard let results else { return [] }
        return results.results.map { result in
            let identity: String?
            switch result.method {
            case "spf": identity = result.property("smtp", "mailfrom") ?? result.property("smtp", "helo")
            case "dkim": identity = result.property("header", "d") ?? result.property("header", "i").map { value in
                Addresses.domain(of: value) ?? value
            }
            case "dmarc": identity = result.property("header", "from")
            default: identity = nil
            }
            return HeaderAnalysis.ReceiverVerdict(
                method: result.method, result: result.result, identity: identity, note: result.comment ?? result.reason)
        }
    }

    // MARK: - Evaluated now

    func reevaluate(
        text: MessageText, message: MailMessage?, boundary: TrustBoundary?, resolver: any DNSResolver, bodyIncluded: Bool
    ) async -> Reevaluation {
        var evaluation = Reevaluation(
            status: .evaluated, reason: nil, evaluatedAt: now(), spf: [], dkim: [], dmarc: nil, differences: [])
        let spfEvaluator = SPFEvaluator(resolver: resolver, timeout: timeout)
        var spfForDMARC: (domain: String, result: String)?
        if let ipText = boundary?.ip, let ip = IPAddress(ipText) {
            let helo = boundary?.helo ?? ""
            if let mailFrom = boundary?.mailFrom {
                let outcome = await spfEvaluator.evaluateMailFrom(ip: ip, mailFrom: mailFrom, helo: helo)
                evaluation.spf.append(Reevaluation.SPFCheck(
                    identity: "mailfrom", domain: outcome.domain, ip: ipText, result: outcome.result.rawValue,
                    detail: outcome.problem ?? outcome.matchedTerm.map { "matched \($0)\(outcome.matchedIn.map { " in \($0)" } ?? "")" }))
                spfForDMARC = (outcome.domain, outcome.result.rawValue)
            }
            if !helo.isEmpty, (try? DomainName(helo)) != nil, IPAddress(helo) == nil {
                let outcome = await spfEvaluator.evaluateHelo(ip: ip, helo: helo)
                evaluation.spf.append(Reevaluation.SPFCheck(
                    identity: "helo", domain: outcome.domain, ip: ipText, result: outcome.result.rawValue,
                    detail: outcome.problem ?? outcome.matchedTerm.map { "matched \($0)" }))
                if spfForDMARC == nil { spfForDMARC = (outcome.domain, outcome.result.rawValue) }
            }
        }
        if let message {
            let verifier = DKIMVerifier(resolver: resolver, timeout: timeout)
            for result in await verifier.verify(message, now: now()) {
                var reason = result.reason
                if !bodyIncluded, result.reason.contains("body hash") {
                    reason += " (only the header was given: the body could not be checked)"
                }
                evaluation.dkim.append(Reevaluation.DKIMCheck(
                    domain: result.domain, selector: result.selector, result: result.status.rawValue, reason: reason))
            }
        }
        if let from = text.first("From").flatMap({ Addresses.all(in: $0).first }).flatMap(Addresses.domain(of:)),
           let fromDomain = try? DomainName(from) {
            var input = DMARCInput(fromDomain: fromDomain)
            if let spf = spfForDMARC, let domain = try? DomainName(spf.domain) {
                input.spf = DMARCInput.Identity(domain: domain, result: AuthenticationResult(rawValue: spf.result) ?? .none)
            }
            for check in evaluation.dkim {
                guard let domainText = check.domain, let domain = try? DomainName(domainText) else { continue }
                input.dkim.append(DMARCInput.Identity(domain: domain, result: AuthenticationResult(rawValue: check.result) ?? .none))
            }
            let outcome = await DMARCEvaluator(resolver: resolver, timeout: timeout).evaluate(input)
            evaluation.dmarc = Reevaluation.DMARCCheck(
                fromDomain: from, result: outcome.result.rawValue, policy: outcome.requestedPolicy?.rawValue,
                aligned: outcome.alignedIdentifiers.map { "\($0.mechanism.rawValue) \($0.domain)" },
                alignment: outcome.checks.map(\.explanation))
        }
        if evaluation.spf.isEmpty && evaluation.dkim.isEmpty && evaluation.dmarc == nil {
            evaluation.status = .notChecked
            evaluation.reason = "nothing to evaluate: no client IP, no DKIM signature and no From domain were found"
        }
        return evaluation
    }

    /// The receiver's verdicts set beside the results now, each difference explained.
    static func differences(
        verdicts: [HeaderAnalysis.ReceiverVerdict], now: Reevaluation, bodyIncluded: Bool, arc: ARCVerification?
    ) -> [Reevaluation.Difference] {
        var out: [Reevaluation.Difference] = []
        let forwarded = arc.map { !$0.instances.isEmpty } ?? false
        if let receiver = verdicts.first(where: { $0.method == "spf" }),
           let current = now.spf.first(where: { $0.identity == "mailfrom" }) ?? now.spf.first,
           Self.passes(receiver.result) != Self.passes(current.result) {
            let explanation: String
            if Self.passes(receiver.result) {
                explanation = "The receiver passed SPF; now it does not. Either the SPF record of \(current.domain) changed since (an include removed, an IP range dropped), or the receiver checked another client than \(current.ip)\(forwarded ? " (the message was forwarded: see the ARC chain)" : "")."
            } else {
                explanation = "The receiver failed SPF; now it passes. Either the record has been fixed since, or the receiver saw a forwarder's IP rather than \(current.ip): forwarding breaks SPF (RFC 7208 Appendix D)\(forwarded ? "; the ARC chain shows the forwarder" : "")."
            }
            out.append(Reevaluation.Difference(
                method: "spf", identity: current.domain, receiver: receiver.result, now: current.result, explanation: explanation))
        }
        for receiver in verdicts where receiver.method == "dkim" {
            guard let current = now.dkim.first(where: { check in
                guard let domain = check.domain, let identity = receiver.identity else { return now.dkim.count == 1 }
                return domain.lowercased() == identity.lowercased()
            }) else { continue }
            guard Self.passes(receiver.result) != Self.passes(current.result) else { continue }
            let reason = current.reason.lowercased()
            let explanation: String
            if Self.passes(receiver.result) {
                if reason.contains("body hash") {
                    explanation = bodyIncluded
                        ? "The body changed after the receiver verified it: a forwarder or mailing list modified it (a footer, re-encoding), or the pasted copy is not byte-exact."
                        : "Only the header was given, so the body hash cannot match: this says nothing about the signature."
                } else if reason.contains("no key") || reason.contains("revoked") || reason.contains("nxdomain") {
                    explanation = "The key is gone now (\(current.reason)): the domain rotated its key and retired the selector \(current.selector ?? "") since the receiver checked."
                } else if reason.contains("expired") {
                    explanation = "The signature has expired since (x=): it was valid when the receiver checked."
                } else if reason.contains("did not verify") {
                    explanation = "A signed header field changed after the receiver checked (a forwarder or list rewrote Subject, From or To), or the key was replaced under the same selector."
                } else {
                    explanation = "Now: \(current.reason)."
                }
            } else {
                explanation = "The receiver failed the signature; now it verifies. The receiver may have seen a modified copy (a relay before it changed the message), or its key lookup failed temporarily."
            }
            out.append(Reevaluation.Difference(
                method: "dkim", identity: current.domain, receiver: receiver.result, now: current.result, explanation: explanation))
        }
        if let receiver = verdicts.first(where: { $0.method == "dmarc" }), let current = now.dmarc,
           Self.passes(receiver.result) != Self.passes(current.result) {
            out.append(Reevaluation.Difference(
                method: "dmarc", identity: current.fromDomain, receiver: receiver.result, now: current.result,
                explanation: "DMARC follows the SPF and DKIM differences above\(current.aligned.isEmpty ? "" : " (aligned now: \(current.aligned.joined(separator: ", ")))")."))
        }
        return out
    }

    static func passes(_ result: String) -> Bool { result == "pass" || result == "bestguesspass" }
}
