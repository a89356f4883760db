import DNSCore

/// Whether one Authenticated Identifier aligns with the Author Domain (RFC 9989 §3.2.10, §4.4),
/// with the evidence.
public struct AlignmentCheck: Sendable, Hashable, Codable {
    /// Which mechanism produced the identifier.
    public enum Mechanism: String, Sendable, Hashable, Codable {
        /// The SPF-Authenticated Identifier: the MAIL FROM domain (RFC 9989 §4.4.2).
        case spf
        /// A DKIM-Authenticated Identifier: a signature's `d=` (RFC 9989 §4.4.1).
        case dkim
    }

    public var mechanism: Mechanism
    /// The identifier's domain.
    public var domain: DomainName
    /// The mechanism's result for it.
    public var result: AuthenticationResult
    /// `adkim` or `aspf` of the applied record.
    public var mode: DMARCRecord.AlignmentMode
    /// The Organizational Domains compared in relaxed mode (`nil` when no comparison was needed).
    public var authorOrganizationalDomain: DomainName?
    public var identifierOrganizationalDomain: DomainName?
    /// Whether the identifier passed and is aligned: the one thing DMARC counts.
    public var aligned: Bool
    /// A DNS failure that kept the Organizational Domains from being known.
    public var failure: DNSError?
    /// Why, for a person.
    public var explanation: String
}

/// The result of an underlying mechanism (RFC 8601 §2.7.1, §2.7.2); only `pass` counts for DMARC.
public enum AuthenticationResult: String, Sendable, Hashable, Codable, CaseIterable {
    case pass, fail, softfail, neutral, none, temperror, permerror, policy
}

/// Computes Organizational Domains for alignment, remembering each walk for one evaluation.
actor OrganizationalDomainCache {
    private let discoverer: DMARCDiscoverer
    private let resolver: any DNSResolver
    private var walks: [DomainName: Result<DomainName, DNSError>] = [:]

    init(discoverer: DMARCDiscoverer, resolver: any DNSResolver, seed: [DomainName: DomainName] = [:]) {
        self.discoverer = discoverer
        self.resolver = resolver
        for (domain, organizational) in seed { walks[domain] = .success(organizational) }
    }

    func organizationalDomain(of domain: DomainName, generation: DMARCGeneration) async -> Result<DomainName, DNSError> {
        switch generation {
        case .rfc7489:
            return .success(discoverer.publicSuffixList.organizationalDomain(of: domain))
        case .rfc9989:
            if let known = walks[domain] { return known }
            let walk = await TreeWalk.walk(from: domain, resolver: resolver)
            let result: Result<DomainName, DNSError> = walk.failure.map { .failure($0) } ?? .success(walk.organizationalDomain)
            walks[domain] = result
            return result
        }
    }
}

extension AlignmentCheck {
    /// Checks one identifier (RFC 9989 §4.4, §4.10.2): strict mode compares the names; relaxed mode
    /// compares Organizational Domains (tree walks for RFC 9989, the Public Suffix List for RFC 7489).
    static func check(
        _ mechanism: Mechanism, domain: DomainName, result: AuthenticationResult, author: DomainName,
        mode: DMARCRecord.AlignmentMode, generation: DMARCGeneration, cache: OrganizationalDomainCache
    ) async -> AlignmentCheck {
        var check = AlignmentCheck(
            mechanism: mechanism, domain: domain, result: result, mode: mode, aligned: false, explanation: "")
        guard result == .pass else {
            check.explanation = "\(mechanism) result is \(result.rawValue), not pass: it cannot align"
            return check
        }
        if domain == author {
            check.aligned = true
            check.explanation = "\(domain) is the Author Domain"
            return check
        }
        if mode == .strict {
            check.explanation = "strict alignment needs \(domain) to equal \(author)"
            return check
        }
        let authorOrg = await cache.organizationalDomain(of: author, generation: generation)
        let identifierOrg = await cache.organizationalDomain(of: domain, generation: generation)
        switch (authorOrg, identifierOrg) {
        case (.success(let a), .success(let b)):
            check.authorOrganizationalDomain = a
            check.identifierOrganizationalDomain = b
            check.aligned = a == b
            check.explanation = check.aligned
                ? "relaxed: \(domain) and \(author) share the Organizational Domain \(a)"
                : "relaxed: Organizational Domain of \(domain) is \(b), of \(author) is \(a)"
        case (.failure(let failure), _), (_, .failure(let failure)):
            check.failure = failure
            check.explanation = "Organizational Domain unknown: \(failure)"
        }
        return check
    }
}
