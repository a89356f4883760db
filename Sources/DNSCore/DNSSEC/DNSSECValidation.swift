/// The four results of DNSSEC validation (RFC 4033 §5, RFC 4035 §4.3).
public enum DNSSECSecurity: String, Sendable, Hashable, Codable, CaseIterable {
    /// A chain of signed DS and DNSKEY records leads from a trust anchor to the answer (or to the
    /// proof that there is none).
    case secure
    /// A signed proof shows that a zone on the way has no DS record: nothing below it can be
    /// validated, and nothing claims it should be (RFC 4035 §5.2).
    case insecure
    /// The chain should validate and does not: a signature is expired, wrong or missing, a DS
    /// matches no key, a proof is missing. A validating resolver answers SERVFAIL.
    case bogus
    /// Validation could not finish: no answer, no trust anchor, or the deadline passed.
    case indeterminate
}

/// Why validation ended as it did. Each reason belongs to exactly one ``DNSSECSecurity``.
public enum DNSSECReason: Sendable, Hashable {
    // MARK: secure
    /// Validated from the trust anchor at `anchor`, through every zone cut (RFC 4035 §5).
    case chainOfTrust(anchor: DomainName)

    // MARK: insecure
    /// A signed NSEC or NSEC3 record proves that the delegation to `zone` has no DS
    /// (RFC 4035 §5.2; RFC 5155 §8.6).
    case unsignedDelegation(zone: DomainName)
    /// The delegation to `zone` lies in an NSEC3 opt-out span: unsigned by the parent's choice
    /// (RFC 5155 §6, §8.6).
    case optOutDelegation(zone: DomainName)
    /// Every DS of `zone` names an algorithm or digest this validator does not implement; RFC 4035
    /// §5.2 says to treat the zone as unsigned.
    case unsupportedAlgorithm(zone: DomainName, algorithms: [UInt8], digestTypes: [UInt8])
    /// `zone` proves denial with NSEC3 of more iterations than ``DNSSECLimits/maximumNSEC3Iterations``:
    /// each proof would cost that many hashes per name, so the answer is treated as unsigned, as
    /// RFC 9276 §3.2 allows (and as Unbound and BIND do above 150).
    case nsec3IterationsAboveLimit(zone: DomainName, iterations: UInt16)

    // MARK: bogus
    /// Every signature over `rrset` by `signer` has expired (RFC 4035 §5.3.1).
    case signatureExpired(rrset: DNSQuestion, signer: DomainName)
    /// Every signature over `rrset` by `signer` has an inception in the future (RFC 4035 §5.3.1).
    case signatureNotYetValid(rrset: DNSQuestion, signer: DomainName)
    /// No signature over `rrset` verifies with a key of `signer` (RFC 4035 §5.3.3).
    case signatureInvalid(rrset: DNSQuestion, signer: DomainName)
    /// `rrset` carries no signature although its zone, `zone`, is signed (RFC 4035 §5).
    case missingSignature(rrset: DNSQuestion, zone: DomainName)
    /// A signature over `rrset` names `signer`, which does not enclose it (RFC 4035 §5.3.1): a DS
    /// must be signed by a zone above it, anything else by its own zone or one above. Following
    /// such a signer could loop.
    case signerNotEnclosing(rrset: DNSQuestion, signer: DomainName)
    /// A signature names `zone` as its signer, but the parent's signed proof shows `zone` is no
    /// zone cut (no NS there): nothing can vouch for its keys (RFC 4035 §5.3.1).
    case signerNotAZone(zone: DomainName)
    /// The DS records of `zone` match no key of its DNSKEY RRset (RFC 4035 §5.2).
    case noKeyMatchesDS(zone: DomainName)
    /// `zone` has DS records at its parent but serves no DNSKEY RRset (RFC 4035 §5.2).
    case missingDNSKEY(zone: DomainName)
    /// The trust anchor for `zone` matches none of its DNSKEY records (RFC 4035 §4.4).
    case trustAnchorMismatch(zone: DomainName)
    /// A negative answer for `question` came without a signed NSEC or NSEC3 proof of it
    /// (RFC 4035 §5.4; RFC 5155 §8).
    case denialNotProven(question: DNSQuestion)
    /// Validation asked more than ``DNSSECWorkLimit`` allows: a hostile zone (many keys with one
    /// key tag, a very long chain) would otherwise cost unbounded work (RFC 9276 §3.2; the
    /// KeyTrap advisory, CVE-2023-50387).
    case workLimitExceeded(DNSSECWorkLimit)

    // MARK: indeterminate
    /// No trust anchor covers `name`.
    case noTrustAnchor(name: DomainName)
    /// A question of the chain got no usable answer.
    case dnsFailure(DNSError)

    /// The result this reason belongs to.
    public var security: DNSSECSecurity {
        switch self {
        case .chainOfTrust: .secure
        case .unsignedDelegation, .optOutDelegation, .unsupportedAlgorithm, .nsec3IterationsAboveLimit: .insecure
        case .signatureExpired, .signatureNotYetValid, .signatureInvalid, .missingSignature, .signerNotEnclosing,
            .signerNotAZone, .noKeyMatchesDS, .missingDNSKEY, .trustAnchorMismatch, .denialNotProven, .workLimitExceeded:
            .bogus
        case .noTrustAnchor, .dnsFailure: .indeterminate
        }
    }

    /// A stable identifier for reports (`no-ds`, `signature-expired`).
    public var code: String {
        switch self {
        case .chainOfTrust: "chain-of-trust"
        case .unsignedDelegation: "unsigned-delegation"
        case .optOutDelegation: "opt-out-delegation"
        case .unsupportedAlgorithm: "unsupported-algorithm"
        case .nsec3IterationsAboveLimit: "nsec3-iterations-above-limit"
        case .signatureExpired: "signature-expired"
        case .signatureNotYetValid: "signature-not-yet-valid"
        case .signatureInvalid: "signature-invalid"
        case .missingSignature: "missing-signature"
        case .signerNotEnclosing: "signer-not-enclosing"
        case .signerNotAZone: "signer-not-a-zone"
        case .noKeyMatchesDS: "no-key-matches-ds"
        case .missingDNSKEY: "missing-dnskey"
        case .trustAnchorMismatch: "trust-anchor-mismatch"
        case .denialNotProven: "denial-not-proven"
        case .workLimitExceeded: "work-limit-exceeded"
        case .noTrustAnchor: "no-trust-anchor"
        case .dnsFailure(let error): error.kind == .deadlineExceeded ? "deadline-exceeded" : "dns-failure"
        }
    }

    /// The zone the reason is about, when it is about one.
    public var zone: DomainName? {
        switch self {
        case .chainOfTrust(let zone), .unsignedDelegation(let zone), .optOutDelegation(let zone),
            .unsupportedAlgorithm(let zone, _, _), .nsec3IterationsAboveLimit(let zone, _), .signatureExpired(_, let zone), .signatureNotYetValid(_, let zone),
            .signatureInvalid(_, let zone), .missingSignature(_, let zone), .signerNotEnclosing(_, let zone),
            .signerNotAZone(let zone), .noKeyMatchesDS(let zone), .missingDNSKEY(let zone), .trustAnchorMismatch(let zone), .noTrustAnchor(let zone):
            zone
        case .denialNotProven, .workLimitExceeded, .dnsFailure: nil
        }
    }

    /// The reason as a sentence, with its RFC section.
    public var description: String {
        switch self {
        case .chainOfTrust(let anchor):
            "validated from the trust anchor for \(anchor.fullyQualified) through every zone cut (RFC 4035 §5)"
        case .unsignedDelegation(let zone):
            "a signed NSEC/NSEC3 record proves that the delegation to \(zone.fullyQualified) has no DS: the zone is unsigned (RFC 4035 §5.2)"
        case .optOutDelegation(let zone):
            "the delegation to \(zone.fullyQualified) lies in an NSEC3 opt-out span: unsigned (RFC 5155 §6, §8.6)"
        case .unsupportedAlgorithm(let zone, let algorithms, let digests):
            "every DS of \(zone.fullyQualified) uses an algorithm (\(algorithms.map(String.init).joined(separator: ", "))) "
                + "or digest type (\(digests.map(String.init).joined(separator: ", "))) this validator does not implement; "
                + "treated as unsigned (RFC 4035 §5.2)"
        case .nsec3IterationsAboveLimit(let zone, let iterations):
            "\(zone.fullyQualified) proves denial with NSEC3 of \(iterations) iterations, above \(DNSSECLimits.maximumNSEC3Iterations): "
                + "treated as unsigned (RFC 9276 §3.2)"
        case .signatureExpired(let rrset, let signer):
            "every RRSIG over \(rrset) by \(signer.fullyQualified) has expired (RFC 4035 §5.3.1)"
        case .signatureNotYetValid(let rrset, let signer):
            "every RRSIG over \(rrset) by \(signer.fullyQualified) has an inception in the future (RFC 4035 §5.3.1)"
        case .signatureInvalid(let rrset, let signer):
            "no RRSIG over \(rrset) verifies with a DNSKEY of \(signer.fullyQualified) (RFC 4035 §5.3.3)"
        case .missingSignature(let rrset, let zone):
            "\(rrset) has no RRSIG, but its zone \(zone.fullyQualified) is signed (RFC 4035 §5)"
        case .signerNotEnclosing(let rrset, let signer):
            "an RRSIG over \(rrset) names the signer \(signer.fullyQualified), which does not enclose it (RFC 4035 §5.3.1)"
        case .signerNotAZone(let zone):
            "a signature names \(zone.fullyQualified) as its signer, but its parent proves it is no zone cut (RFC 4035 §5.3.1)"
        case .noKeyMatchesDS(let zone):
            "no DNSKEY of \(zone.fullyQualified) matches its DS records at the parent (RFC 4035 §5.2)"
        case .missingDNSKEY(let zone):
            "\(zone.fullyQualified) has DS records at its parent but no DNSKEY RRset (RFC 4035 §5.2)"
        case .trustAnchorMismatch(let zone):
            "the trust anchor for \(zone.fullyQualified) matches none of its DNSKEY records (RFC 4035 §4.4)"
        case .denialNotProven(let question):
            "the negative answer for \(question) has no signed NSEC/NSEC3 proof (RFC 4035 §5.4, RFC 5155 §8)"
        case .workLimitExceeded(let limit):
            "validation stopped: \(limit.description) (RFC 9276 §3.2; CVE-2023-50387)"
        case .noTrustAnchor(let name):
            "no trust anchor covers \(name.fullyQualified)"
        case .dnsFailure(let error):
            "a question of the chain got no usable answer: \(error)"
        }
    }
}

/// A bound on validation work, which a hostile zone would otherwise make unbounded.
public enum DNSSECWorkLimit: String, Sendable, Hashable, Codable {
    /// More questions than ``DNSSECLimits/maximumQueries``.
    case queries
    /// More signature checks than ``DNSSECLimits/maximumSignatureChecks``.
    case signatureChecks
    /// More candidate keys for one signature than ``DNSSECLimits/maximumKeysPerSignature``.
    case keysPerSignature
    /// A CNAME chain longer than ``DNSSECLimits/maximumCNAMEChain``, or a loop.
    case cnameChain

    public var description: String {
        switch self {
        case .queries: "more than \(DNSSECLimits.maximumQueries) questions for one validation"
        case .signatureChecks: "more than \(DNSSECLimits.maximumSignatureChecks) signature checks for one validation"
        case .keysPerSignature:
            "more than \(DNSSECLimits.maximumKeysPerSignature) DNSKEYs share one signature's key tag and algorithm"
        case .cnameChain: "a CNAME chain longer than \(DNSSECLimits.maximumCNAMEChain) links, or a loop"
        }
    }
}

/// The work bounds of one validation (named constants, so reports can cite them).
public enum DNSSECLimits {
    /// Questions asked for one validation, CNAME targets and every zone's DS and DNSKEY included.
    public static let maximumQueries = 64
    /// Signature verifications for one validation (a key tried against a signature counts one).
    public static let maximumSignatureChecks = 256
    /// Keys with one signature's key tag and algorithm that are tried (RFC 4034 Appendix B: tags
    /// collide rarely by chance; many collisions are an attack).
    public static let maximumKeysPerSignature = 4
    /// CNAME links followed.
    public static let maximumCNAMEChain = 8
    /// NSEC3 iterations above which a proof is treated as insecure (RFC 9276 §3.2; the value
    /// Unbound and BIND use).
    public static let maximumNSEC3Iterations: UInt16 = 150
}

/// One line of a chain of trust, with the lines it rests on: the tree `drill -S` draws.
public struct DNSSECTrustNode: Sendable, Hashable, Codable {
    /// `example.test. (DNSKEY keytag: 33099 alg: 13 flags: 256)`, with a mark when it failed.
    public var text: String
    /// What vouches for this line: the key that signed it, the DS that points at the key.
    public var children: [DNSSECTrustNode]

    public init(_ text: String, children: [DNSSECTrustNode] = []) {
        self.text = text
        self.children = children
    }

    /// The tree drawn as `drill -S` does (`|---` before each child, four spaces per level).
    public func rendered() -> String {
        var lines: [String] = []
        draw(into: &lines, indent: "", prefix: "")
        return lines.joined(separator: "\n")
    }

    private func draw(into lines: inout [String], indent: String, prefix: String) {
        lines.append(indent + prefix + text)
        let childIndent = prefix.isEmpty ? indent : indent + "    "
        for child in children { child.draw(into: &lines, indent: childIndent, prefix: "|---") }
    }
}

/// What validating one question found: the result, its reason, the answer it covers, and the
/// chain of trust behind it.
public struct DNSSECValidation: Sendable, Hashable {
    /// The question validated.
    public var question: DNSQuestion
    /// Why the result is what it is; ``security`` follows from it.
    public var reason: DNSSECReason
    /// What the answer said, when one arrived: records, NODATA or NXDOMAIN.
    public var outcome: DNSResponse.Outcome?
    /// The answer's records of the asked type (signatures left out).
    public var records: [ResourceRecord]
    /// The CNAMEs followed, each validated like the answer.
    public var cnameChain: [DomainName]
    /// The chain of trust, as `drill -S` draws it.
    public var trust: DNSSECTrustNode
    /// Questions the validation sent, and answers it took from its validator's cache instead.
    public var questionsAsked = 0
    public var cacheHits = 0

    public init(
        question: DNSQuestion, reason: DNSSECReason, outcome: DNSResponse.Outcome? = nil, records: [ResourceRecord] = [],
        cnameChain: [DomainName] = [], trust: DNSSECTrustNode
    ) {
        self.question = question
        self.reason = reason
        self.outcome = outcome
        self.records = records
        self.cnameChain = cnameChain
        self.trust = trust
    }

    /// Secure, insecure, bogus or indeterminate.
    public var security: DNSSECSecurity { reason.security }

    /// `example.test. MX: secure (validated from …)`.
    public var summary: String { "\(question): \(security.rawValue) (\(reason.description))" }
}

/// Validates answers with DNSSEC. The audit asks one of these for the answers it relies on
/// (MX, the MTA-STS TXT record, TLSA), so the report can say which are DNSSEC-secure.
public protocol DNSSECValidating: Sendable {
    /// Validates the answer to `question`, following CNAMEs, within `timeout`. Never throws:
    /// a DNS failure or the deadline makes the result ``DNSSECSecurity/indeterminate``.
    func validate(_ question: DNSQuestion, timeout: Duration) async -> DNSSECValidation
}
