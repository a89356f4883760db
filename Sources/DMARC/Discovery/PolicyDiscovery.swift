import DNSCore

/// The DMARC policy that applies to an Author Domain under one generation of DMARC, with the
/// queries that found it (RFC 9989 §4.10.1; RFC 7489 §6.6.3).
public struct PolicyDiscovery: Sendable, Hashable, Codable {
    /// Which rules were followed.
    public var generation: DMARCGeneration
    /// The RFC5322.From domain.
    public var authorDomain: DomainName
    /// The outcome.
    public var status: Status
    /// Every `_dmarc` query made, in order (the tree walk for RFC 9989; one or two for RFC 7489).
    public var steps: [TreeWalk.Step]
    /// Why the RFC 9989 tree walk stopped (`nil` for RFC 7489).
    public var walkStop: TreeWalk.Stop?
    /// The Organizational Domain of the Author Domain: from the tree walk (RFC 9989 §4.10.2) or the
    /// Public Suffix List (RFC 7489 §3.2).
    public var organizationalDomain: DomainName
    /// The domain whose record applies (the DMARC Policy Domain), when one does.
    public var policyDomain: DomainName?
    /// The record that applies.
    public var record: DMARCRecord?
    /// Where the record was found relative to the Author Domain.
    public var source: Source?
    /// Which tag's policy applies: `p` at the Author Domain, else `sp`, or `np` for a non-existent
    /// Author Domain (RFC 9989 only).
    public var appliedTag: PolicyTag?
    /// The policy requested for failing mail, after the rules for missing or invalid values;
    /// `nil` when DMARC does not apply. `t=y` and `pct` are applied by the evaluator, not here.
    public var policy: DMARCRecord.Policy?
    /// Whether the Author Domain exists (A, AAAA or MX, RFC 9989 §3.2.13); asked only when the
    /// record comes from a parent domain under RFC 9989.
    public var authorDomainExists: Bool?
    /// The Public Suffix List used (RFC 7489 only).
    public var publicSuffixListSource: String?

    /// The result of discovery.
    public enum Status: Sendable, Hashable, Codable {
        /// A record applies; see ``PolicyDiscovery/policy``.
        case found
        /// No usable DMARC record: DMARC does not apply to the domain's mail (RFC 9989 §4.10.1).
        case noRecord
        /// A record exists but says no DMARC processing: invalid `p`/`sp`/`np` and no valid `rua`
        /// (RFC 9989 §4.10.1), or no `p` and no valid `rua` (RFC 7489 §6.6.3).
        case notApplied(DMARCRecord.Processing.Reason)
        /// A DNS failure kept discovery from finishing: a temporary error, never "no record".
        case temporaryError(DNSError)
    }

    /// Where the applied record was published.
    public enum Source: String, Sendable, Hashable, Codable {
        case authorDomain
        case organizationalDomain
        case publicSuffixDomain
    }

    /// The tag whose value is the policy.
    public enum PolicyTag: String, Sendable, Hashable, Codable {
        case p, sp, np
    }

    /// Whether every needed query was answered.
    public var isComplete: Bool {
        if case .temporaryError = status { return false }
        return true
    }

    /// The `_dmarc` names queried, in order.
    public var queriedNames: [DomainName] { TreeWalk.queriedNames(steps) }
}

/// Finds DMARC policies and Organizational Domains through a resolver, under both generations.
///
/// Every operation is bounded: the tree walk makes at most ``TreeWalk/maximumQueries`` queries
/// and each call runs under an overall deadline (``DeadlineResolver``).
public struct DMARCDiscoverer: Sendable {
    public let resolver: any DNSResolver
    public let publicSuffixList: PublicSuffixList
    /// The overall deadline of each call.
    public let timeout: Duration

    /// - Parameters:
    ///   - publicSuffixList: for the RFC 7489 view; the bundled copy by default.
    ///   - timeout: the longest one discovery or walk may take.
    public init(resolver: any DNSResolver, publicSuffixList: PublicSuffixList = .bundled, timeout: Duration = .seconds(20)) {
        self.resolver = resolver
        self.publicSuffixList = publicSuffixList
        self.timeout = timeout
    }

    private func bounded() -> any DNSResolver { DeadlineResolver(resolver, timeout: timeout) }

    /// The RFC 9989 tree walk from `domain` (RFC 9989 §4.10).
    public func treeWalk(from domain: DomainName) async -> TreeWalk {
        await TreeWalk.walk(from: domain, resolver: bounded())
    }

    /// Discovers the policy for `authorDomain` under `generation`.
    public func discoverPolicy(for authorDomain: DomainName, generation: DMARCGeneration) async -> PolicyDiscovery {
        switch generation {
        case .rfc9989: await discoverPolicy(for: authorDomain)
        case .rfc7489: await discoverLegacyPolicy(for: authorDomain)
        }
    }

    /// RFC 9989 §4.10.1: the record at the Author Domain, else at its Organizational Domain, else
    /// at its Public Suffix Domain, found with one tree walk from the Author Domain.
    public func discoverPolicy(for authorDomain: DomainName) async -> PolicyDiscovery {
        let resolver = bounded()
        let walk = await TreeWalk.walk(from: authorDomain, resolver: resolver)
        var result = PolicyDiscovery(
            generation: .rfc9989, authorDomain: authorDomain, status: .noRecord, steps: walk.steps, walkStop: walk.stop,
            organizationalDomain: walk.organizationalDomain)
        let organizational = walk.organizationalDomain
        let chosen: (DomainName, DMARCRecord, PolicyDiscovery.Source)?
        if let record = walk.steps.first?.record {
            chosen = (authorDomain, record, .authorDomain)
        } else if let failure = walk.failure {
            result.status = .temporaryError(failure)
            return result
        } else if let found = walk.records.first(where: { $0.domain == organizational }) {
            chosen = (found.domain, found.record, .organizationalDomain)
        } else if let psd = walk.publicSuffixDomainRecord {
            chosen = (psd.domain, psd.record, .publicSuffixDomain)
        } else {
            chosen = nil
        }
        guard let (domain, record, source) = chosen else { return result }
        result.policyDomain = domain
        result.record = record
        result.source = source
        var tag = PolicyDiscovery.PolicyTag.p
        if source != .authorDomain {
            switch await Self.exists(authorDomain, resolver: resolver) {
            case .failure(let failure):
                result.status = .temporaryError(failure)
                return result
            case .success(let exists):
                result.authorDomainExists = exists
                tag = exists ? .sp : .np
            }
        }
        Self.apply(record, tag: tag, generation: .rfc9989, to: &result)
        return result
    }

    /// Sets the status, the tag applied and the policy that `record` gives under `generation`:
    /// `sp` falls back to `p`, and `np` to `sp`, then `p` (RFC 9989 §4.7; RFC 7489 §6.3).
    private static func apply(
        _ record: DMARCRecord, tag: PolicyDiscovery.PolicyTag, generation: DMARCGeneration, to result: inout PolicyDiscovery
    ) {
        result.appliedTag = tag
        switch record.processing(for: generation) {
        case .skip(let reason):
            result.status = .notApplied(reason)
        case .treatAsNone:
            result.status = .found
            result.policy = DMARCRecord.Policy.none
        case .apply:
            result.status = .found
            let p = record.policy ?? DMARCRecord.Policy.none
            switch tag {
            case .p: result.policy = p
            case .sp: result.policy = record.subdomainPolicy ?? p
            case .np: result.policy = record.nonexistentSubdomainPolicy ?? record.subdomainPolicy ?? p
            }
        }
    }

    /// RFC 7489 §6.6.3: the record at the Author Domain, else at its Organizational Domain as the
    /// Public Suffix List gives it. Several records at a name, or none, end discovery.
    ///
    /// - Parameter walkSteps: answers an RFC 9989 tree walk already got; a name it asked (and
    ///   got an answer for) is not asked again.
    public func discoverLegacyPolicy(for authorDomain: DomainName, reusing walkSteps: [TreeWalk.Step] = []) async -> PolicyDiscovery {
        let resolver = bounded()
        let organizational = publicSuffixList.organizationalDomain(of: authorDomain)
        var result = PolicyDiscovery(
            generation: .rfc7489, authorDomain: authorDomain, status: .noRecord, steps: [], walkStop: nil,
            organizationalDomain: organizational, publicSuffixListSource: publicSuffixList.source)
        var targets = [authorDomain]
        if organizational != authorDomain { targets.append(organizational) }
        for (index, target) in targets.enumerated() {
            let known = walkSteps.first { step in
                if case .temporaryError = step.outcome { return false }
                return step.domain == target
            }
            let outcome = if let known { known.outcome } else { await TreeWalk.query(target, resolver: resolver) }
            result.steps.append(TreeWalk.Step(domain: target, outcome: outcome))
            switch outcome {
            case .temporaryError(let failure):
                result.status = .temporaryError(failure)
                return result
            case .multipleRecords:
                return result  // §6.6.3 step 5: several records end discovery
            case .record(let record):
                result.policyDomain = target
                result.record = record
                result.source = index == 0 ? .authorDomain : .organizationalDomain
                Self.apply(record, tag: index == 0 ? .p : .sp, generation: .rfc7489, to: &result)
                return result
            default:
                continue
            }
        }
        return result
    }

    /// Whether `domain` exists for DMARC: a Non-existent Domain has NXDOMAIN or NODATA for A, AAAA
    /// and MX (RFC 9989 §3.2.13).
    static func exists(_ domain: DomainName, resolver: any DNSResolver) async -> Result<Bool, DNSError> {
        for type in [RecordType.a, .aaaa, .mx] {
            do {
                let response = try await resolver.query(domain, type)
                switch response.outcome {
                case .answer: return .success(true)
                case .nxdomain: return .success(false)
                case .nodata: continue
                }
            } catch {
                return .failure(error)
            }
        }
        return .success(false)
    }
}
