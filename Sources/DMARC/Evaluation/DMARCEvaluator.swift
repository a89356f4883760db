import DNSCore

/// What DMARC evaluates for one message: the From domain and the authenticated identifiers.
public struct DMARCInput: Sendable, Hashable, Codable {
    /// The RFC5322.From domain (the Author Domain).
    public var fromDomain: DomainName
    /// The SPF result for the MAIL FROM domain (RFC 9989 §4.4.2), if SPF was checked.
    public var spf: Identity?
    /// The result of each DKIM signature with its `d=` domain (RFC 9989 §4.4.1).
    public var dkim: [Identity]

    /// A domain and the result its mechanism gave it.
    public struct Identity: Sendable, Hashable, Codable {
        public var domain: DomainName
        public var result: AuthenticationResult

        public init(domain: DomainName, result: AuthenticationResult) {
            self.domain = domain
            self.result = result
        }
    }

    public init(fromDomain: DomainName, spf: Identity? = nil, dkim: [Identity] = []) {
        self.fromDomain = fromDomain
        self.spf = spf
        self.dkim = dkim
    }
}

/// The DMARC outcome for a message under one generation, with its evidence.
public struct DMARCEvaluation: Sendable, Hashable, Codable {
    /// DMARC's result (RFC 9989 §4.2; RFC 8601 §2.7.4).
    public enum Result: String, Sendable, Hashable, Codable {
        /// An aligned identifier passed.
        case pass
        /// A policy applies and no aligned identifier passed.
        case fail
        /// No DMARC policy applies to the Author Domain.
        case none
        /// A DNS failure kept the result from being known.
        case temperror
    }

    /// The RFC 7489 `pct` reading: a sampled message gets the policy, the rest one level less (§6.6.4).
    public struct Sampling: Sendable, Hashable, Codable {
        /// `pct`, 0 to 100.
        public var percentage: Int
        /// The disposition of the `percentage`% of failing mail that is sampled.
        public var sampled: DMARCRecord.Policy
        /// The disposition of the rest.
        public var notSampled: DMARCRecord.Policy
    }

    public var generation: DMARCGeneration
    public var input: DMARCInput
    public var result: Result
    /// How the policy was found.
    public var discovery: PolicyDiscovery
    /// Every identifier checked, aligned or not.
    public var checks: [AlignmentCheck]
    /// The policy the Domain Owner requested (`p`, `sp` or `np`).
    public var requestedPolicy: DMARCRecord.Policy?
    /// Whether `t=y` applied (RFC 9989 only; RFC 7489 receivers ignore the unknown tag).
    public var testing: Bool
    /// What the Domain Owner asks be done with this message: `none` for a pass, the policy (one
    /// level less under `t=y`) for a fail; `nil` when DMARC does not apply or is unknown.
    public var disposition: DMARCRecord.Policy?
    /// RFC 7489 only, when `pct` is below 100 and the message failed.
    public var sampling: Sampling?
    /// The DNS failure behind a `temperror`.
    public var failure: DNSError?

    /// The identifiers that aligned and passed.
    public var alignedIdentifiers: [AlignmentCheck] { checks.filter(\.aligned) }
}

/// Evaluates DMARC for messages (RFC 9989 §4.4, §4.10, §5.3; RFC 7489 §6.6).
public struct DMARCEvaluator: Sendable {
    public let discoverer: DMARCDiscoverer

    public init(resolver: any DNSResolver, publicSuffixList: PublicSuffixList = .bundled, timeout: Duration = .seconds(20)) {
        self.discoverer = DMARCDiscoverer(resolver: resolver, publicSuffixList: publicSuffixList, timeout: timeout)
    }

    public init(discoverer: DMARCDiscoverer) { self.discoverer = discoverer }

    /// Evaluates `input` under both generations (RFC 9989 first), each within the discoverer's
    /// deadline. The RFC 7489 view reuses the answers the RFC 9989 tree walk got, so no name is
    /// asked twice.
    public func evaluateBoth(_ input: DMARCInput) async -> [DMARCEvaluation] {
        let modern = scope()
        let modernDiscovery = await modern.discoverPolicy(for: input.fromDomain, generation: .rfc9989)
        let modernEvaluation = await evaluate(input, discovery: modernDiscovery, in: modern)
        // The RFC 7489 deadline starts only now, as it would for a separate evaluation.
        let legacy = scope()
        let legacyDiscovery = await legacy.discoverLegacyPolicy(for: input.fromDomain, reusing: modernDiscovery.steps)
        return [modernEvaluation, await evaluate(input, discovery: legacyDiscovery, in: legacy)]
    }

    /// Evaluates `input` under `generation`, within the discoverer's deadline.
    public func evaluate(_ input: DMARCInput, generation: DMARCGeneration = .rfc9989) async -> DMARCEvaluation {
        let scoped = scope()
        return await evaluate(input, discovery: await scoped.discoverPolicy(for: input.fromDomain, generation: generation), in: scoped)
    }

    /// The discoverer bounded by a deadline that starts now.
    private func scope() -> DMARCDiscoverer {
        DMARCDiscoverer(
            resolver: DeadlineResolver(discoverer.resolver, timeout: discoverer.timeout),
            publicSuffixList: discoverer.publicSuffixList, timeout: discoverer.timeout)
    }

    /// The evaluation of `input` once its policy is discovered; `scoped` is the discoverer
    /// (and deadline) the discovery used.
    private func evaluate(_ input: DMARCInput, discovery: PolicyDiscovery, in scoped: DMARCDiscoverer) async -> DMARCEvaluation {
        let generation = discovery.generation
        let resolver = scoped.resolver
        var evaluation = DMARCEvaluation(
            generation: generation, input: input, result: .none, discovery: discovery, checks: [],
            requestedPolicy: discovery.policy, testing: false)
        switch discovery.status {
        case .temporaryError(let failure):
            evaluation.result = .temperror
            evaluation.failure = failure
            return evaluation
        case .noRecord, .notApplied:
            return evaluation
        case .found:
            break
        }
        guard let record = discovery.record, let policy = discovery.policy else { return evaluation }

        // The author's Organizational Domain is already known from discovery when its walk was complete.
        var seed: [DomainName: DomainName] = [:]
        if generation == .rfc9989, discovery.walkStop != .temporaryError {
            seed[input.fromDomain] = discovery.organizationalDomain
        }
        let cache = OrganizationalDomainCache(discoverer: scoped, resolver: resolver, seed: seed)
        if let spf = input.spf {
            evaluation.checks.append(await AlignmentCheck.check(
                .spf, domain: spf.domain, result: spf.result, author: input.fromDomain, mode: record.spfAlignment,
                generation: generation, cache: cache))
        }
        for signature in input.dkim {
            evaluation.checks.append(await AlignmentCheck.check(
                .dkim, domain: signature.domain, result: signature.result, author: input.fromDomain,
                mode: record.dkimAlignment, generation: generation, cache: cache))
        }

        if evaluation.checks.contains(where: \.aligned) {
            evaluation.result = .pass
            evaluation.disposition = DMARCRecord.Policy.none
            return evaluation
        }
        if let failure = evaluation.checks.compactMap(\.failure).first {
            evaluation.result = .temperror
            evaluation.failure = failure
            return evaluation
        }
        evaluation.result = .fail
        switch generation {
        case .rfc9989:
            // t=y: apply one level less (RFC 9989 §4.7 t).
            evaluation.testing = record.testing
            evaluation.disposition = record.testing ? policy.oneLevelLower : policy
        case .rfc7489:
            evaluation.disposition = policy
            if let percentage = record.percentage, percentage < 100 {
                evaluation.sampling = .init(percentage: percentage, sampled: policy, notSampled: policy.oneLevelLower)
            }
        }
        return evaluation
    }
}
