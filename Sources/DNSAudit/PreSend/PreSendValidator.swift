import DKIM
import DMARC
import DNSCore
import Foundation
import MailAuthCore
import SPF

/// The pre-send gate: signs a message, then proves it will pass SPF, DKIM and DMARC at the
/// receiver, the way the receiver will check it, before it is handed to an SMTP server.
///
/// Steps, each a ``PreSendCheck`` with a stable id (``PreSendCheckID``):
/// 1. Parse and lint the message (RFC 5322 §3.6): exactly one From with one mailbox, a Date, a
///    Message-ID; the From domain is not a free-mail domain (``FreeMailDomains``).
/// 2. Sign with every ``DKIMSigningConfiguration`` (RFC 6376 §5; RFC 8463).
/// 3. Verify each new signature against the key **published in DNS** (RFC 6376 §6): a key
///    mismatch, a missing record or a wrong selector shows up here, not at the receiver.
/// 4. SPF check_host() for each egress IP with the MAIL FROM (a null sender as
///    `postmaster@<helo>`) and with the HELO name (RFC 7208 §2.3, §2.4).
/// 5. DMARC for the From domain with those results, including alignment (RFC 9989 §4.4), and the
///    RFC 7489 view when it differs.
/// 6. RFC 8058 one-click unsubscribe when List-Unsubscribe is present.
/// 7. Ed25519-only signing is flagged (RFC 8463 §1: Gmail does not verify it).
/// 8. Forward-confirmed reverse DNS of each egress IP (RFC 8601 §3).
///
/// Nothing is half-written: ``PreSendReport/message`` is set only when every check has run and
/// the verdict is `pass`. Every DNS question of one validation runs under one overall deadline
/// (``timeout``), and a DNS failure makes a check `incomplete`, never "record missing".
///
/// ```swift
/// let gate = PreSendValidator(resolver: CachingResolver(LDNSResolver(.init(nameservers: servers))))
/// let report = try await gate.validate(request)
/// if let signed = report.message { try send(signed) } else { print(report.failures.map(\.summary)) }
/// ```
public struct PreSendValidator: Sendable {
    /// Default overall deadline of one validation.
    public static let defaultTimeout: Duration = .seconds(30)

    public var resolver: any DNSResolver
    /// The overall deadline of one validation: every DNS question is asked under it.
    public var timeout: Duration
    /// For the RFC 7489 view of DMARC and for free-mail families.
    public var publicSuffixList: PublicSuffixList
    /// The From domains the sender is assumed unable to sign for.
    public var freeMailDomains: FreeMailDomains
    /// How the report names the settings its fixes point to (the CLI: by its options).
    public var settingNames: Setting.Names

    public init(
        resolver: any DNSResolver, timeout: Duration = PreSendValidator.defaultTimeout,
        publicSuffixList: PublicSuffixList = .bundled, freeMailDomains: FreeMailDomains = .default,
        settingNames: Setting.Names = .api
    ) {
        self.resolver = resolver
        self.timeout = timeout
        self.publicSuffixList = publicSuffixList
        self.freeMailDomains = freeMailDomains
        self.settingNames = settingNames
    }

    /// Runs every check on `request` and returns the verdict.
    ///
    /// - Throws: ``PreSendRequestError`` only for a request that cannot be checked (no egress IP,
    ///   a malformed MAIL FROM or HELO). Everything about the message and DNS is in the report.
    public func validate(_ request: PreSendRequest) async throws(PreSendRequestError) -> PreSendReport {
        try request.validate()
        let resolver = DeadlineResolver(CachingResolver.reusing(self.resolver), timeout: timeout)
        let now = request.now
        let mailFrom = request.bareMailFrom
        let helo = request.helo
        var checks: [PreSendCheck] = []
        let names = settingNames

        // 1. Parse and lint.
        var message: MailMessage?
        var fromDomain: DomainName?
        do {
            let parsed = try MailMessage(parsing: request.message)
            message = parsed
            let lint = MessageLint.check(parsed)
            checks.append(PreSendCheck(
                id: PreSendCheckID.message, status: .pass,
                summary: "RFC 5322 message: \(parsed.header.count) header fields, \(parsed.body.count) body bytes",
                detail: parsed.hadBareLineFeeds ? "Bare LF line endings are sent as CRLF (the form DKIM signs)." : nil,
                rfc: "RFC 5322 §2.1"))
            checks += lint.checks
            fromDomain = lint.fromDomain
        } catch {
            checks.append(PreSendCheck(
                id: PreSendCheckID.message, status: .fail, summary: "The message cannot be parsed: \(error.message)",
                detail: "\(error)", rfc: "RFC 5322 §2.2",
                fix: "Build the message with a mail library (Python: email.message.EmailMessage) instead of by hand."))
        }
        let freeMailCheck = fromDomain.map { freeMailDomains.check($0, publicSuffixList: publicSuffixList, names: names) }
        let fromIsFreeMail = freeMailCheck?.status == .fail
        if let freeMailCheck { checks.append(freeMailCheck) }

        // 2. Sign.
        var signed: MailMessage?
        var newSignatureCount = 0
        if let message {
            if request.signing.isEmpty {
                signed = message
                checks.append(PreSendCheck(
                    id: PreSendCheckID.sign, status: .skipped, summary: "Not signing: checking the signatures the message carries"))
            } else {
                do {
                    let output = try DKIMSigner(request.signing).sign(message, now: now)
                    signed = output.message
                    newSignatureCount = output.signatureFields.count
                    let what = request.signing.map { "d=\($0.domain) s=\($0.selector) a=\($0.algorithm.rawValue)" }
                    checks.append(PreSendCheck(
                        id: PreSendCheckID.sign, status: output.warnings.isEmpty ? .pass : .warning,
                        summary: "Signed: " + what.joined(separator: "; "),
                        detail: output.warnings.isEmpty ? nil : output.warnings.map(\.title).joined(separator: "; "),
                        rfc: "RFC 6376 §5",
                        fix: output.warnings.isEmpty ? nil : "Generate a 2048-bit RSA key: dnsaudit dkim keygen."))
                } catch {
                    checks.append(PreSendCheck(
                        id: PreSendCheckID.sign, status: .fail, summary: "The message cannot be signed: \(error.message)",
                        rfc: "RFC 6376 §5", fix: "Fix the signing configuration or the message as the summary says."))
                }
            }
        }

        // 3, 4, 8. The DNS checks that do not depend on each other run together.
        let ips = request.egressIPs.map(\.unmapped)
        let spfEvaluator = SPFEvaluator(
            resolver: resolver, timeout: timeout, receiver: "dnsaudit-presend",
            clock: { Int(now.timeIntervalSince1970) })
        let heloForMacros = helo ?? (mailFrom.split(separator: "@").last.map(String.init) ?? "")
        let signedForVerify = signed
        async let dkimResults: [DKIMResult] = {
            guard let signedForVerify else { return [] }
            return await DKIMVerifier(resolver: resolver, timeout: timeout).verify(signedForVerify, now: now)
        }()
        async let spfResults: [(mailFrom: SPFEvaluation, helo: SPFEvaluation?)] = {
            var results: [(SPFEvaluation, SPFEvaluation?)] = []
            for ip in ips {
                let envelope = await spfEvaluator.evaluateMailFrom(ip: ip, mailFrom: mailFrom, helo: heloForMacros)
                let heloResult: SPFEvaluation? = if let helo { await spfEvaluator.evaluateHelo(ip: ip, helo: helo) } else { nil }
                results.append((envelope, heloResult))
            }
            return results
        }()
        async let reverseChecks = ReverseDNS.checks(ips, helo: helo, resolver: resolver)
        let dkim = await dkimResults
        let spf = await spfResults
        let reverse = await reverseChecks

        // 3. DKIM, and 7. Ed25519-only.
        let reported = request.signing.isEmpty ? dkim : Array(dkim.prefix(newSignatureCount))
        if signed != nil {
            checks += DKIMChecks.verifyChecks(
                reported, configurations: request.signing, signingRequested: !request.signing.isEmpty, names: names)
        }
        var ed25519Check = DKIMChecks.ed25519Check(reported, names: names)

        // 4. SPF.
        for (ip, result) in zip(ips, spf) {
            checks.append(SPFChecks.mailFromCheck(result.mailFrom, ip: ip, mailFrom: mailFrom, helo: helo))
        }
        for (ip, result) in zip(ips, spf) {
            if let heloResult = result.helo {
                checks.append(SPFChecks.heloCheck(heloResult, ip: ip))
            } else {
                checks.append(PreSendCheck(
                    id: PreSendCheckID.spfHelo, status: .skipped, subject: ip.description,
                    summary: "No HELO name given: the HELO identity was not checked",
                    fix: "Pass the name your MTA gives in EHLO (\(names[.helo])) to check it."))
            }
        }

        // 5. DMARC, once per distinct SPF outcome.
        if let fromDomain {
            let evaluator = DMARCEvaluator(resolver: resolver, publicSuffixList: publicSuffixList, timeout: timeout)
            // Each signature's d= domain, parsed once.
            let signatures = dkim.compactMap { result in
                result.domain.flatMap { try? DomainName(dnsName: $0) }.map { (domain: $0, result: result) }
            }
            let dkimIdentities = signatures.map {
                DMARCInput.Identity(domain: $0.domain, result: AuthenticationResult($0.result.status))
            }
            // Domains with a passing signature a receiver that ignores Ed25519 still verifies,
            // whether made now or already on the message.
            let verifiedWithoutEd25519 = Set(signatures.filter {
                $0.result.status == .pass && $0.result.algorithm != DKIMSignatureAlgorithm.ed25519SHA256.rawValue
            }.map(\.domain))
            var cache: [DMARCInput: [DMARCEvaluation]] = [:]
            var ed25519Carries = false
            for (ip, result) in zip(ips, spf) {
                let spfIdentity = (try? DomainName(dnsName: result.mailFrom.domain)).map {
                    DMARCInput.Identity(domain: $0, result: AuthenticationResult(result.mailFrom.result))
                }
                let input = DMARCInput(fromDomain: fromDomain, spf: spfIdentity, dkim: dkimIdentities)
                let evaluations: [DMARCEvaluation]
                if let known = cache[input] {
                    evaluations = known
                } else {
                    evaluations = await evaluator.evaluateBoth(input)
                    cache[input] = evaluations
                }
                let current = evaluations.first { $0.generation == .rfc9989 }!
                let legacy = evaluations.first { $0.generation == .rfc7489 }!
                for evaluation in legacy.result == current.result ? [current] : [current, legacy] {
                    checks.append(DMARCChecks.check(
                        evaluation, ip: ip, signing: request.signing, mailFrom: mailFrom, freeMail: fromIsFreeMail, names: names))
                }
                let alignedWithoutEd25519 = current.alignedIdentifiers.contains {
                    $0.mechanism == .spf || ($0.mechanism == .dkim && verifiedWithoutEd25519.contains($0.domain))
                }
                if current.result == .pass, !alignedWithoutEd25519 {
                    ed25519Carries = true
                }
            }
            if ed25519Carries, var check = ed25519Check, check.status == .warning {
                check.status = .fail
                check.detail = (check.detail ?? "") + " DMARC passes only through these Ed25519 signatures (SPF is not aligned), so at Gmail, which does not verify Ed25519, the message fails DMARC."
                ed25519Check = check
            }
        }
        if let ed25519Check { checks.append(ed25519Check) }

        // 6. RFC 8058.
        if let signed {
            let covering = reported.compactMap { result -> (String, [String])? in
                guard let signature = result.signature else { return nil }
                return ("d=\(signature.domain) s=\(signature.selector)", signature.signedHeaders)
            }
            checks.append(OneClickUnsubscribe.check(
                signed, signatures: covering.map { (subject: $0.0, signedHeaders: $0.1) }, settingNames: names))
        }

        // 8. Reverse DNS.
        checks += reverse

        let output: [UInt8]? = request.signing.isEmpty ? request.message : signed?.bytes
        return PreSendReport(
            checks: checks, fromDomain: fromDomain?.description, mailFrom: mailFrom, helo: helo,
            egressIPs: ips.map(\.description), time: Int64(now.timeIntervalSince1970.rounded(.down)), message: output)
    }
}

extension AuthenticationResult {
    init(_ status: DKIMResult.Status) {
        switch status {
        case .pass: self = .pass
        case .fail: self = .fail
        case .neutral: self = .neutral
        case .temperror: self = .temperror
        case .permerror: self = .permerror
        }
    }

    init(_ result: SPFResult) {
        switch result {
        case .pass: self = .pass
        case .fail: self = .fail
        case .softfail: self = .softfail
        case .neutral: self = .neutral
        case .none: self = .none
        case .temperror: self = .temperror
        case .permerror: self = .permerror
        }
    }
}
