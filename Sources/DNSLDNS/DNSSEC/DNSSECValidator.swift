import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// Validates answers with DNSSEC itself, from a trust anchor down (RFC 4035 §5), with ldns'
/// primitives for the cryptography and the denial proofs.
///
/// - Zone cuts come from the signer names: an answer's RRSIG names its zone; that zone's DS,
///   asked of its parent, has an RRSIG naming the parent; and so on up to a trust anchor. A
///   signer must enclose what it signs, and a DS's signer must be strictly above it
///   (RFC 4035 §5.3.1), so the walk always moves towards the root and ends.
/// - Unsigned data is proven insecure, not assumed: the DS of every name from the closest anchor
///   down is asked, until a signed NSEC or NSEC3 proves a delegation without DS (or an NSEC3
///   opt-out span covers it). Without such a proof, unsigned data in a signed zone is bogus.
/// - Negative answers are proven with NSEC (`ldns_dnssec_verify_denial`) or NSEC3
///   (`ldns_dnssec_verify_denial_nsec3_match`), after each NSEC/NSEC3 RRset's own signature is
///   checked; an NSEC at a delegation point never denies names below it (RFC 6840 §4.1).
/// - DS records whose algorithm or digest ldns does not implement make the zone insecure
///   (RFC 4035 §5.2), as validators do.
/// - Every question has the validation's deadline, and the work is bounded (``DNSSECLimits``):
///   hostile zones (many keys sharing a key tag, long chains) end with a bogus result naming the
///   limit, not with unbounded work.
///
/// `ldns_verify_trusted` is not used: it chops labels instead of following zone cuts, blocks,
/// and cannot prove insecurity.
public struct DNSSECValidator: DNSSECValidating {
    /// Where the messages come from: ldns on the network, zone data, or zone data over the network.
    public let source: any DNSSECMessageSource
    public let trustAnchors: DNSSECTrustAnchors
    /// The time signatures are checked against, in seconds since 1970 (a fixed clock in tests).
    public let now: @Sendable () -> Int

    /// Messages shared by the validations of this validator: the root's and a TLD's DS and
    /// DNSKEY answers serve every domain of a bulk audit.
    let cache: MessageCache

    public init(
        source: any DNSSECMessageSource, trustAnchors: DNSSECTrustAnchors,
        now: @escaping @Sendable () -> Int = { Int(time(nil)) }
    ) {
        self.source = source
        self.trustAnchors = trustAnchors
        self.now = now
        cache = MessageCache()
    }

    public func validate(_ question: DNSQuestion, timeout: Duration) async -> DNSSECValidation {
        let deadline = DeadlineSignal(deadline: .now + timeout)
        let run = ValidationRun(source: source, anchors: trustAnchors, time: now(), deadline: deadline, cache: cache)
        var validation = await run.validate(question)
        validation.questionsAsked = run.queries
        validation.cacheHits = run.cacheHits
        return validation
    }
}

/// Answers kept for their TTL (at most ``maximumTTL``), at most ``maximumEntries`` of them.
/// Only answers are kept: a failure is asked again. Each validation still checks every
/// signature it relies on; the cache saves questions, never trust.
final class MessageCache: Sendable {
    static let maximumEntries = 4_096
    static let maximumTTL: Duration = .seconds(300)

    private let entries = LockedState<[DNSQuestion: (message: DNSSECMessage, expires: ContinuousClock.Instant)]>([:])

    func message(for question: DNSQuestion) -> DNSSECMessage? {
        let now = ContinuousClock.now
        return entries.withLock { entries in
            guard let entry = entries[question] else { return nil }
            if entry.expires <= now {
                entries[question] = nil
                return nil
            }
            return entry.message
        }
    }

    func store(_ message: DNSSECMessage) {
        let ttl = (message.answer + message.authority).map(\.ttl).min() ?? 0
        guard ttl > 0 else { return }
        let expires = ContinuousClock.now + min(.seconds(Int(ttl)), Self.maximumTTL)
        entries.withLock { entries in
            if entries.count >= Self.maximumEntries { entries.removeAll(keepingCapacity: true) }
            entries[message.question] = (message, expires)
        }
    }
}

/// One validation: the messages and zone keys it has learned, and the work it has done.
private final class ValidationRun {
    let source: any DNSSECMessageSource
    let anchors: DNSSECTrustAnchors
    let time: Int
    let deadline: DeadlineSignal
    private var messages: [DNSQuestion: DNSSECMessage] = [:]
    private var zoneKeys: [DomainName: ZoneKeys] = [:]
    /// NSEC/NSEC3 RRsets already verified, and the key tag that did it: a walk meets the same
    /// covering record at many labels.
    private var verifiedDenials: [DNSQuestion: (records: [ResourceRecord], tag: UInt16)] = [:]
    private(set) var queries = 0
    private(set) var cacheHits = 0
    private var signatureChecks = 0

    let cache: MessageCache

    init(source: any DNSSECMessageSource, anchors: DNSSECTrustAnchors, time: Int, deadline: DeadlineSignal, cache: MessageCache) {
        self.cache = cache
        self.source = source
        self.anchors = anchors
        self.time = time
        self.deadline = deadline
    }

    /// A bogus, insecure or indeterminate end to a step of the chain.
    struct Stop: Error {
        var reason: DNSSECReason
        init(_ reason: DNSSECReason) { self.reason = reason }
    }

    /// A zone's validated keys, and how the tree draws them.
    struct ZoneTrust {
        var zone: DomainName
        var anchor: DomainName
        /// The validated DNSKEY RRset.
        var keys: [ResourceRecord]
        /// Key tags of the keys the DS records (or the trust anchor) point at.
        var entryTags: Set<UInt16>
        /// What vouches for the entry keys: the DS records and the parent's key behind them, or
        /// the trust anchor.
        var entryChildren: [DNSSECTrustNode]

        /// The tree line of the key with `tag`, with what vouches for it.
        func node(signedBy tag: UInt16) -> DNSSECTrustNode {
            let text = Self.keyText(zone: zone, tag: tag, key: keys.first { DNSSECCrypto.keyTag($0) == tag })
            if entryTags.contains(tag) { return DNSSECTrustNode(text, children: entryChildren) }
            let entries = entryTags.sorted().map { entryTag in
                DNSSECTrustNode(Self.keyText(zone: zone, tag: entryTag, key: keys.first { DNSSECCrypto.keyTag($0) == entryTag }))
            }
            return DNSSECTrustNode(text, children: entries + entryChildren)
        }

        static func keyText(zone: DomainName, tag: UInt16, key: ResourceRecord?) -> String {
            let fields = key.flatMap(DNSKEYFields.init)
            return "\(zone.fullyQualified) (DNSKEY keytag: \(tag) alg: \(fields.map { String($0.algorithm) } ?? "?") "
                + "flags: \(fields.map { String($0.flags) } ?? "?"))"
        }
    }

    enum ZoneKeys {
        case secure(ZoneTrust)
        /// The zone cannot be validated, provably (an unsigned delegation above or at it).
        case insecure(DNSSECReason)
    }

    /// Where a proof of insecurity ended.
    enum Walk {
        case insecure(DNSSECReason)
        /// No insecure delegation: the name lies in this secure zone.
        case secureZone(DomainName, DomainName)
    }

    // MARK: The question

    func validate(_ question: DNSQuestion) async -> DNSSECValidation {
        var chain: [DomainName] = []
        var current = question
        var seen: Set<DomainName> = [question.name]
        var weakest: (reason: DNSSECReason, node: DNSSECTrustNode)?
        while true {
            let step: Step
            do throws(Stop) {
                step = try await self.step(current, asked: question)
            } catch {
                return DNSSECValidation(
                    question: question, reason: error.reason, cnameChain: chain,
                    trust: DNSSECTrustNode("\(current.name.fullyQualified) (\(current.type)) — \(error.reason.security.rawValue): \(error.reason.description)"))
            }
            switch step {
            case .done(let reason, let outcome, let records, let node):
                // The result is the weakest link of the CNAME chain.
                if let weakest, weakest.reason.security != .secure {
                    return DNSSECValidation(
                        question: question, reason: weakest.reason, outcome: outcome, records: records, cnameChain: chain,
                        trust: weakest.node)
                }
                return DNSSECValidation(
                    question: question, reason: reason, outcome: outcome, records: records, cnameChain: chain,
                    trust: weakest.map { DNSSECTrustNode($0.node.text, children: $0.node.children + [node]) } ?? node)
            case .alias(let target, let reason, let node):
                if weakest == nil || reason.security != .secure { weakest = (reason, node) }
                guard chain.count < DNSSECLimits.maximumCNAMEChain, seen.insert(target).inserted else {
                    return DNSSECValidation(
                        question: question, reason: .workLimitExceeded(.cnameChain), cnameChain: chain,
                        trust: DNSSECTrustNode("\(question) — CNAME chain \(([question.name] + chain + [target]).map(\.fullyQualified).joined(separator: " → "))"))
                }
                chain.append(target)
                current = DNSQuestion(target, question.type)
            }
        }
    }

    enum Step {
        case done(DNSSECReason, DNSResponse.Outcome?, [ResourceRecord], DNSSECTrustNode)
        case alias(DomainName, DNSSECReason, DNSSECTrustNode)
    }

    /// Validates the answer at one name of the CNAME chain.
    func step(_ question: DNSQuestion, asked: DNSQuestion) async throws(Stop) -> Step {
        let message = try await fetch(question, allowingReferral: true)
        let rrset = message.answer.filter { $0.name == question.name && $0.type == question.type }
        if !rrset.isEmpty {
            let (reason, node) = try await positive(question, rrset: rrset, message: message)
            return .done(reason, .answer, rrset, node)
        }
        if question.type != .cname,
            let alias = message.answer.first(where: { $0.name == question.name && $0.type == .cname }),
            case .cname(let target) = alias.data
        {
            // A CNAME synthesised from a DNAME is unsigned (RFC 6672 §5.3.1): the DNAME is what is
            // validated, and the CNAME must be its substitution.
            if let dname = message.answer.first(where: {
                $0.type == .dname && question.name.isSubdomain(of: $0.name) && question.name != $0.name
            }), case .dname(let renamed) = dname.data {
                let kept = Array(question.name.labels.prefix(question.name.labels.count - dname.name.labels.count))
                guard let substituted = try? DomainName(labels: kept + renamed.labels), substituted == target else {
                    throw Stop(.signatureInvalid(rrset: DNSQuestion(question.name, .cname), signer: dname.name))
                }
                let rrset = message.answer.filter { $0.name == dname.name && $0.type == .dname }
                let (reason, node) = try await positive(DNSQuestion(dname.name, .dname), rrset: rrset, message: message)
                return .alias(target, reason, node)
            }
            let (reason, node) = try await positive(DNSQuestion(question.name, .cname), rrset: [alias], message: message)
            return .alias(target, reason, node)
        }
        if message.isReferral {
            // The server does not serve the name: only an insecure delegation above it is
            // something to report; anything else is no answer.
            if case .insecure(let reason) = try await walk(to: question.name) {
                return .done(reason, nil, [], DNSSECTrustNode("\(question.name.fullyQualified) (\(question.type)) — insecure"))
            }
            throw Stop(.dnsFailure(DNSError(
                .referral, question: question, server: message.server,
                detail: "referred elsewhere; the server neither serves the name nor resolves recursively")))
        }
        let (reason, node) = try await negative(question, message: message)
        return .done(reason, message.rcode == .nameError ? .nxdomain : .nodata, [], node)
    }

    /// A positive answer: its signature, by a key of the signer's validated DNSKEY RRset.
    func positive(
        _ question: DNSQuestion, rrset: [ResourceRecord], message: DNSSECMessage
    ) async throws(Stop) -> (DNSSECReason, DNSSECTrustNode) {
        let signatures = message.answer.filter { $0.name == question.name && $0.typeCovered == question.type }
        let title = "\(question.name.fullyQualified) (\(question.type))"
        guard let signer = try enclosingSigner(of: signatures, for: question) else {
            switch try await walk(to: question.name) {
            case .insecure(let reason): return (reason, DNSSECTrustNode(title + " — insecure: \(reason.description)"))
            case .secureZone(let zone, _): throw Stop(.missingSignature(rrset: question, zone: zone))
            }
        }
        let trust: ZoneTrust
        switch try await keys(of: signer) {
        case .insecure(let reason): return (reason, DNSSECTrustNode(title + " — insecure: \(reason.description)"))
        case .secure(let found): trust = found
        }
        let tag = try verify(rrset, signatures.filter { RRSIGFields($0)?.signer == signer }, with: trust, question: question)
        // A wildcard expansion (RRSIG labels fewer than the owner's, RFC 4035 §5.3.4) needs the
        // proof that the name itself does not exist (§5.3.4, RFC 5155 §8.8).
        if let fields = signatures.compactMap(RRSIGFields.init).first(where: { $0.keyTag == tag }),
            Int(fields.labels) < question.name.labels.count
        {
            try proveWildcard(question, labels: Int(fields.labels), message: message, trust: trust)
        }
        return (.chainOfTrust(anchor: trust.anchor), DNSSECTrustNode(title, children: [trust.node(signedBy: tag)]))
    }

    /// A negative answer: its NSEC or NSEC3 proof, each record signed by its zone.
    func negative(_ question: DNSQuestion, message: DNSSECMessage) async throws(Stop) -> (DNSSECReason, DNSSECTrustNode) {
        let title = "\(question.name.fullyQualified) (\(question.type))"
        let proof = message.authority.filter { $0.type == .nsec || $0.type == .nsec3 }
        let signatures = message.authority.filter { $0.typeCovered == .nsec || $0.typeCovered == .nsec3 }
        guard let signer = try enclosingSigner(of: signatures, for: question) else {
            switch try await walk(to: question.name) {
            case .insecure(let reason): return (reason, DNSSECTrustNode(title + " — insecure: \(reason.description)"))
            case .secureZone: throw Stop(.denialNotProven(question: question))
            }
        }
        let trust: ZoneTrust
        switch try await keys(of: signer) {
        case .insecure(let reason): return (reason, DNSSECTrustNode(title + " — insecure: \(reason.description)"))
        case .secure(let found): trust = found
        }
        let (verified, tag) = try verifiedDenial(proof, signatures: signatures, signer: signer, trust: trust, for: question)
        let nxdomain = message.rcode == .nameError
        var lines: [DNSSECTrustNode] = []
        if verified.contains(where: { $0.type == .nsec }) {
            let nsecs = verified.filter { $0.type == .nsec }
            guard DNSSECCrypto.nsecDenies(question, nsecs: nsecs, signatures: signatures),
                !nsecs.contains(where: { Self.isAncestorDelegation($0, of: question.name) })
            else { throw Stop(.denialNotProven(question: question)) }
            lines = nsecs.map { DNSSECTrustNode("\($0.name.fullyQualified) (NSEC \(DenialFields($0)?.nextName?.fullyQualified ?? "?"))") }
        } else {
            guard DNSSECCrypto.nsec3Denies(question, nsec3s: verified, signatures: signatures, nxdomain: nxdomain) != nil else {
                throw Stop(.denialNotProven(question: question))
            }
            lines = verified.map { DNSSECTrustNode("\($0.name.fullyQualified) (NSEC3)") }
        }
        let keyNode = trust.node(signedBy: tag)
        return (
            .chainOfTrust(anchor: trust.anchor),
            DNSSECTrustNode(
                title + " — " + (nxdomain ? "NXDOMAIN" : "NODATA") + ", existence denied by:",
                children: lines.map { DNSSECTrustNode($0.text, children: [keyNode]) })
        )
    }

    // MARK: Zone keys

    /// The validated DNSKEY RRset of `zone`, through its DS at the parent (whose zone is the DS
    /// signature's signer), or from a trust anchor.
    func keys(of zone: DomainName) async throws(Stop) -> ZoneKeys {
        if let known = zoneKeys[zone] { return known }
        let result = try await findKeys(of: zone)
        zoneKeys[zone] = result
        return result
    }

    private func findKeys(of zone: DomainName) async throws(Stop) -> ZoneKeys {
        if let anchored = anchors.records[zone] { return .secure(try await anchoredKeys(of: zone, anchors: anchored)) }
        guard zone.parent != nil else { throw Stop(.noTrustAnchor(name: zone)) }
        let dsQuestion = DNSQuestion(zone, .ds)
        let message = try await fetch(dsQuestion)
        let dsRecords = message.answer.filter { $0.name == zone && $0.type == .ds }
        guard !dsRecords.isEmpty else {
            if let reason = try await provenNoDS(zone, message: message) { return .insecure(reason) }
            // Proven: the name is no zone cut, yet something was signed by it.
            throw Stop(.signerNotAZone(zone: zone))
        }
        let signatures = message.answer.filter { $0.name == zone && $0.typeCovered == .ds }
        guard let parent = try enclosingSigner(of: signatures, for: dsQuestion) else {
            switch try await walk(to: zone, excludingLast: true) {
            case .insecure(let reason): return .insecure(reason)
            case .secureZone(let secure, _): throw Stop(.missingSignature(rrset: dsQuestion, zone: secure))
            }
        }
        let parentTrust: ZoneTrust
        switch try await keys(of: parent) {
        case .insecure(let reason): return .insecure(reason)
        case .secure(let trust): parentTrust = trust
        }
        let dsTag = try verify(dsRecords, signatures.filter { RRSIGFields($0)?.signer == parent }, with: parentTrust, question: dsQuestion)
        let usable = dsRecords.filter { record in
            guard let fields = DSFields(record) else { return false }
            return DNSSECCrypto.supports(algorithm: fields.algorithm) && DNSSECCrypto.supports(digestType: fields.digestType)
        }
        guard !usable.isEmpty else {
            let fields = dsRecords.compactMap(DSFields.init)
            return .insecure(.unsupportedAlgorithm(
                zone: zone, algorithms: Array(Set(fields.map(\.algorithm))).sorted(),
                digestTypes: Array(Set(fields.map(\.digestType))).sorted()))
        }
        let keyQuestion = DNSQuestion(zone, .dnskey)
        let keyMessage = try await fetch(keyQuestion)
        let dnskeys = keyMessage.answer.filter { $0.name == zone && $0.type == .dnskey }
        guard !dnskeys.isEmpty else { throw Stop(.missingDNSKEY(zone: zone)) }
        var matched: [(ds: ResourceRecord, key: ResourceRecord)] = []
        for key in dnskeys {
            if let ds = usable.first(where: { DNSSECCrypto.ds($0, matches: key) }) { matched.append((ds, key)) }
        }
        guard !matched.isEmpty else { throw Stop(.noKeyMatchesDS(zone: zone)) }
        let keySignatures = keyMessage.answer.filter { $0.name == zone && $0.typeCovered == .dnskey && RRSIGFields($0)?.signer == zone }
        let entryTrust = ZoneTrust(
            zone: zone, anchor: parentTrust.anchor, keys: matched.map(\.key), entryTags: [], entryChildren: [])
        _ = try verify(dnskeys, keySignatures, with: entryTrust, question: keyQuestion)
        let dsNodes = matched.compactMap(\.ds).map { ds in
            DNSSECTrustNode(
                "\(zone.fullyQualified) (DS keytag: \(DSFields(ds)?.keyTag ?? 0) digest type: \(DSFields(ds)?.digestType ?? 0))",
                children: [parentTrust.node(signedBy: dsTag)])
        }
        return .secure(ZoneTrust(
            zone: zone, anchor: parentTrust.anchor, keys: dnskeys,
            entryTags: Set(matched.compactMap { DNSSECCrypto.keyTag($0.key) }), entryChildren: Array(Set(dsNodes)).sorted { $0.text < $1.text }))
    }

    /// The DNSKEY RRset of an anchored zone, signed by a key the anchor names.
    private func anchoredKeys(of zone: DomainName, anchors anchored: [ResourceRecord]) async throws(Stop) -> ZoneTrust {
        let keyQuestion = DNSQuestion(zone, .dnskey)
        let message = try await fetch(keyQuestion)
        let dnskeys = message.answer.filter { $0.name == zone && $0.type == .dnskey }
        guard !dnskeys.isEmpty else { throw Stop(.missingDNSKEY(zone: zone)) }
        let entry = dnskeys.filter { key in
            anchored.contains { anchor in anchor.type == .dnskey ? anchor.data == key.data : DNSSECCrypto.ds(anchor, matches: key) }
        }
        guard !entry.isEmpty else { throw Stop(.trustAnchorMismatch(zone: zone)) }
        let signatures = message.answer.filter { $0.name == zone && $0.typeCovered == .dnskey && RRSIGFields($0)?.signer == zone }
        let entryTrust = ZoneTrust(zone: zone, anchor: zone, keys: entry, entryTags: [], entryChildren: [])
        _ = try verify(dnskeys, signatures, with: entryTrust, question: keyQuestion)
        return ZoneTrust(
            zone: zone, anchor: zone, keys: dnskeys, entryTags: Set(entry.compactMap(DNSSECCrypto.keyTag)),
            // drill -S draws nothing under an anchored key; the result's reason names the anchor.
            entryChildren: [])
    }

    // MARK: Proofs of insecurity

    /// Asks the DS of every name from the closest trust anchor down to `name` (or its parent,
    /// with `excludingLast`), following the secure zone cuts, until a signed proof shows a
    /// delegation without DS.
    func walk(to name: DomainName, excludingLast: Bool = false) async throws(Stop) -> Walk {
        guard let anchor = anchors.closestAnchor(enclosing: name) else { throw Stop(.noTrustAnchor(name: name)) }
        if case .insecure(let reason) = try await keys(of: anchor) { return .insecure(reason) }
        var zone = anchor
        let last = name.labels.count - (excludingLast ? 1 : 0)
        guard last > anchor.labels.count else { return .secureZone(zone, anchor) }
        for depth in (anchor.labels.count + 1)...last {
            let candidate = name.suffix(labels: depth)
            let message = try await fetch(DNSQuestion(candidate, .ds))
            if message.answer.contains(where: { $0.name == candidate && $0.type == .ds }) {
                switch try await keys(of: candidate) {
                case .insecure(let reason): return .insecure(reason)
                case .secure: zone = candidate
                }
                continue
            }
            if message.rcode == .nameError { break }
            if let reason = try await provenNoDS(candidate, message: message) { return .insecure(reason) }
        }
        return .secureZone(zone, anchor)
    }

    /// For a DS question at `name` answered without DS: the insecure reason when the signed
    /// proof shows a delegation without DS (or an opt-out span), `nil` when `name` is proven to
    /// be no zone cut. An unsigned answer is accepted only below a proven insecure delegation.
    func provenNoDS(_ name: DomainName, message: DNSSECMessage) async throws(Stop) -> DNSSECReason? {
        let question = DNSQuestion(name, .ds)
        let proof = message.authority.filter { $0.type == .nsec || $0.type == .nsec3 }
        let signatures = message.authority.filter { $0.typeCovered == .nsec || $0.typeCovered == .nsec3 }
        guard let signer = try enclosingSigner(of: signatures, for: question) else {
            if let parent = name.parent, case .insecure(let reason) = try await walk(to: parent) { return reason }
            throw Stop(.denialNotProven(question: question))
        }
        let trust: ZoneTrust
        switch try await keys(of: signer) {
        case .insecure(let reason): return reason
        case .secure(let found): trust = found
        }
        let (verified, _) = try verifiedDenial(proof, signatures: signatures, signer: signer, trust: trust, for: question)
        let nxdomain = message.rcode == .nameError
        let nsecs = verified.filter { $0.type == .nsec }
        if !nsecs.isEmpty {
            guard DNSSECCrypto.nsecDenies(question, nsecs: nsecs, signatures: signatures),
                !nsecs.contains(where: { Self.isAncestorDelegation($0, of: name) })
            else { throw Stop(.denialNotProven(question: question)) }
            if nxdomain { return nil }
            guard let own = nsecs.first(where: { $0.name == name }), let types = DenialFields(own)?.types else { return nil }
            return types.contains(.ns) && !types.contains(.soa) ? .unsignedDelegation(zone: name) : nil
        }
        guard let nsec3 = DNSSECCrypto.nsec3Denies(question, nsec3s: verified, signatures: signatures, nxdomain: nxdomain) else {
            throw Stop(.denialNotProven(question: question))
        }
        if nxdomain { return nil }
        guard let match = nsec3.match, let fields = DenialFields(match) else { return nil }
        if nsec3.exact { return fields.types.contains(.ns) && !fields.types.contains(.soa) ? .unsignedDelegation(zone: name) : nil }
        return fields.optOut ? .optOutDelegation(zone: name) : nil
    }

    /// An NSEC at a delegation point (NS without SOA) above `name`: it speaks for the parent
    /// zone only and proves nothing about names below the cut (RFC 6840 §4.1).
    static func isAncestorDelegation(_ nsec: ResourceRecord, of name: DomainName) -> Bool {
        guard nsec.name != name, name.isSubdomain(of: nsec.name), let types = DenialFields(nsec)?.types else { return false }
        return types.contains(.ns) && !types.contains(.soa)
    }

    /// The wildcard proof of a positive answer: a signed NSEC/NSEC3 record showing that the name
    /// itself does not exist (RFC 4035 §5.3.4; RFC 5155 §8.8).
    func proveWildcard(_ question: DNSQuestion, labels: Int, message: DNSSECMessage, trust: ZoneTrust) throws(Stop) {
        let proof = message.authority.filter { $0.type == .nsec || $0.type == .nsec3 }
        let signatures = message.authority.filter { $0.typeCovered == .nsec || $0.typeCovered == .nsec3 }
        guard !proof.isEmpty else { throw Stop(.denialNotProven(question: question)) }
        let (verified, _) = try verifiedDenial(proof, signatures: signatures, signer: trust.zone, trust: trust, for: question)
        let nsecs = verified.filter { $0.type == .nsec }
        if !nsecs.isEmpty {
            // The covering NSEC: owner before the name, next name after it.
            let covered = nsecs.contains { nsec in
                guard let next = DenialFields(nsec)?.nextName else { return false }
                return Self.canonicalLess(nsec.name, question.name)
                    && (Self.canonicalLess(question.name, next) || next == trust.zone)
            }
            if !covered { throw Stop(.denialNotProven(question: question)) }
            return
        }
        // NSEC3 (RFC 5155 §8.8): the closest encloser is the owner cut to the RRSIG's label count;
        // the next closer name (one label more) must be covered by an NSEC3.
        let nextCloser = question.name.suffix(labels: labels + 1)
        guard DNSSECCrypto.nsec3Covers(verified.filter { $0.type == .nsec3 }, name: nextCloser) else {
            throw Stop(.denialNotProven(question: question))
        }
    }

    /// RFC 4034 §6.1 canonical order, for names of one zone.
    static func canonicalLess(_ a: DomainName, _ b: DomainName) -> Bool {
        let left = a.lowercased.labels.reversed().map { Array($0.utf8) }
        let right = b.lowercased.labels.reversed().map { Array($0.utf8) }
        for (x, y) in zip(left, right) where x != y { return x.lexicographicallyPrecedes(y) }
        return left.count < right.count
    }

    // MARK: Signatures

    /// The signer of `signatures` for `question`, checked to enclose it (a DS's signer strictly):
    /// `nil` when there is no signature.
    func enclosingSigner(of signatures: [ResourceRecord], for question: DNSQuestion) throws(Stop) -> DomainName? {
        let signers = signatures.compactMap { RRSIGFields($0)?.signer }
        guard !signers.isEmpty else { return nil }
        let enclosing = signers.filter { signer in
            question.name.isSubdomain(of: signer) && (question.type != .ds || signer != question.name)
        }
        // With several, the longest (closest) signer: the zone that holds the data.
        guard let signer = enclosing.max(by: { $0.labels.count < $1.labels.count }) else {
            throw Stop(.signerNotEnclosing(rrset: question, signer: signers[0]))
        }
        return signer
    }

    /// Checks the NSEC/NSEC3 RRsets of a proof, each against its own signatures; the ones that
    /// verify, and the key tag that signed them.
    func verifiedDenial(
        _ proof: [ResourceRecord], signatures: [ResourceRecord], signer: DomainName, trust: ZoneTrust, for question: DNSQuestion
    ) throws(Stop) -> ([ResourceRecord], UInt16) {
        var verified: [ResourceRecord] = []
        var tag: UInt16 = 0
        var owners: [DNSQuestion] = []
        // Too many NSEC3 iterations (RFC 9276 §3.2): insecure, once the records' own signatures
        // show they are the zone's (a forged record must not turn bogus into insecure). Checked
        // before any name is hashed with them.
        let costly = proof.filter { ($0.type == .nsec3) && (DenialFields($0)?.iterations ?? 0) > DNSSECLimits.maximumNSEC3Iterations }
        if let first = costly.first, first.name.isSubdomain(of: signer) {
            let rrset = proof.filter { $0.name == first.name && $0.type == .nsec3 }
            let own = signatures.filter { $0.name == first.name && $0.typeCovered == .nsec3 && RRSIGFields($0)?.signer == signer }
            _ = try verify(rrset, own, with: trust, question: DNSQuestion(first.name, .nsec3))
            throw Stop(.nsec3IterationsAboveLimit(zone: signer, iterations: DenialFields(first)?.iterations ?? 0))
        }
        for record in Self.relevant(proof, to: question.name, zone: signer) where !owners.contains(DNSQuestion(record.name, record.type)) {
            owners.append(DNSQuestion(record.name, record.type))
        }
        for owner in owners {
            guard owner.name.isSubdomain(of: signer) else { continue }
            let rrset = proof.filter { $0.name == owner.name && $0.type == owner.type }
            if let known = verifiedDenials[owner], known.records == rrset {
                tag = known.tag
            } else {
                let own = signatures.filter { $0.name == owner.name && $0.typeCovered == owner.type && RRSIGFields($0)?.signer == signer }
                tag = try verify(rrset, own, with: trust, question: owner)
                verifiedDenials[owner] = (rrset, tag)
            }
            verified += rrset
        }
        guard !verified.isEmpty else { throw Stop(.denialNotProven(question: question)) }
        return (verified, tag)
    }

    /// The NSEC/NSEC3 records that can take part in a proof about `name` in `zone`: those at,
    /// or covering, the name, one of its ancestors in the zone, or the wildcard below one of
    /// them (RFC 4035 §5.4; RFC 5155 §8.3). Zone data hands over a zone's whole chain; only
    /// these are checked.
    static func relevant(_ proof: [ResourceRecord], to name: DomainName, zone: DomainName) -> [ResourceRecord] {
        var candidates: [DomainName] = []
        var current: DomainName? = name
        while let ancestor = current, ancestor.isSubdomain(of: zone) {
            candidates.append(ancestor)
            if let wildcard = try? ancestor.prepending("*") { candidates.append(wildcard) }
            current = ancestor.parent
        }
        let nsecs = proof.filter { $0.type == .nsec }.filter { nsec in
            guard let next = DenialFields(nsec)?.nextName else { return false }
            return candidates.contains { candidate in
                candidate == nsec.name || (canonicalLess(nsec.name, candidate) && (canonicalLess(candidate, next) || next == zone))
            }
        }
        let nsec3s = DNSSECCrypto.relevantNSEC3(proof.filter { $0.type == .nsec3 }, names: candidates)
        return nsecs + nsec3s
    }

    /// Verifies `rrset` with `signatures` and the trusted keys; the tag of the key that verified.
    ///
    /// Each signature is tried with the keys of its key tag and algorithm (at most
    /// ``DNSSECLimits/maximumKeysPerSignature``), and every check counts against
    /// ``DNSSECLimits/maximumSignatureChecks``.
    func verify(
        _ rrset: [ResourceRecord], _ signatures: [ResourceRecord], with trust: ZoneTrust, question: DNSQuestion
    ) throws(Stop) -> UInt16 {
        guard !signatures.isEmpty else { throw Stop(.missingSignature(rrset: question, zone: trust.zone)) }
        let tagged = trust.keys.map { (key: $0, tag: DNSSECCrypto.keyTag($0), fields: DNSKEYFields($0)) }
        var expired = false
        var notYetValid = false
        for signature in signatures {
            guard let fields = RRSIGFields(signature) else { continue }
            let candidates = tagged.filter {
                $0.tag == fields.keyTag && $0.fields?.algorithm == fields.algorithm && $0.fields?.isZoneKey == true
                    && $0.fields?.isRevoked == false
            }.map(\.key)
            if candidates.isEmpty { continue }
            if candidates.count > DNSSECLimits.maximumKeysPerSignature { throw Stop(.workLimitExceeded(.keysPerSignature)) }
            signatureChecks += candidates.count
            if signatureChecks > DNSSECLimits.maximumSignatureChecks { throw Stop(.workLimitExceeded(.signatureChecks)) }
            if deadline.hasFired { throw Stop(.dnsFailure(DeadlineSignal.expired(question))) }
            switch DNSSECCrypto.verify(rrset: rrset, signature: signature, keys: candidates, time: time) {
            case .valid: return fields.keyTag
            case .expired: expired = true
            case .notYetValid: notYetValid = true
            case .unsupportedAlgorithm, .invalid: break
            }
        }
        if expired { throw Stop(.signatureExpired(rrset: question, signer: trust.zone)) }
        if notYetValid { throw Stop(.signatureNotYetValid(rrset: question, signer: trust.zone)) }
        throw Stop(.signatureInvalid(rrset: question, signer: trust.zone))
    }

    // MARK: Questions

    /// Asks `question` once per validation, within the deadline and the query budget. A
    /// referral is no answer (no server given serves the name): the chain cannot go on, which is
    /// indeterminate, never "missing". Only the question itself may end in one, for ``step``.
    func fetch(_ question: DNSQuestion, allowingReferral: Bool = false) async throws(Stop) -> DNSSECMessage {
        let message = try await fetchMessage(question)
        if message.isReferral && !allowingReferral {
            throw Stop(.dnsFailure(DNSError(
                .referral, question: question, server: message.server,
                detail: "referred elsewhere: no server given serves this name")))
        }
        return message
    }

    private func fetchMessage(_ question: DNSQuestion) async throws(Stop) -> DNSSECMessage {
        if let known = messages[question] { return known }
        if let cached = cache.message(for: question) {
            cacheHits += 1
            messages[question] = cached
            return cached
        }
        queries += 1
        if queries > DNSSECLimits.maximumQueries { throw Stop(.workLimitExceeded(.queries)) }
        do throws(DNSError) {
            let message = try await source.dnssecMessage(question, boundedBy: deadline)
            messages[question] = message
            cache.store(message)
            return message
        } catch {
            throw Stop(.dnsFailure(error))
        }
    }
}
