import DNSCore
import MailAuthCore

/// Checks a domain's DMARC setup: discovery under both generations, report authorizations, lints.
public struct DMARCChecker: Sendable {
    public let discoverer: DMARCDiscoverer

    /// The deadline of one check when nothing says how long a DNS question may take.
    public static let defaultTimeout: Duration = .seconds(20)

    /// The deadline of one check when each DNS question may take `perQuestion`: the tree walk asks
    /// up to ``TreeWalk/maximumQueries`` names one after another (RFC 9989 §4.10), so that many
    /// questions' time, and never less than ``defaultTimeout``.
    public static func timeout(perQuestion: Duration) -> Duration {
        max(defaultTimeout, perQuestion * TreeWalk.maximumQueries)
    }

    public init(
        resolver: any DNSResolver, publicSuffixList: PublicSuffixList = .bundled, timeout: Duration = defaultTimeout
    ) {
        discoverer = DMARCDiscoverer(resolver: resolver, publicSuffixList: publicSuffixList, timeout: timeout)
    }

    public init(discoverer: DMARCDiscoverer) { self.discoverer = discoverer }

    /// Checks `domain` as the Author Domain of mail.
    public func check(_ domain: DomainName) async -> DMARCDomainReport {
        let modern = await discoverer.discoverPolicy(for: domain)
        // Names the walk already asked are not asked again (nor their records parsed again).
        let legacy = await discoverer.discoverLegacyPolicy(for: domain, reusing: modern.steps)
        var authorizations: [ReportAuthorization] = []
        if let record = modern.record ?? legacy.record, let policyDomain = modern.policyDomain ?? legacy.policyDomain {
            authorizations = await authorize(record, publishedAt: policyDomain, organizational: modern.organizationalDomain)
        }
        var report = DMARCDomainReport(
            domain: domain, rfc9989: modern, rfc7489: legacy, reportAuthorizations: authorizations, findings: [])
        report.findings = DMARCLint.findings(for: report, publicSuffixList: discoverer.publicSuffixList)
        return report
    }

    /// Checks every `mailto:` destination of `rua` and `ruf` outside the policy domain's organization.
    func authorize(_ record: DMARCRecord, publishedAt policyDomain: DomainName, organizational: DomainName) async
        -> [ReportAuthorization]
    {
        let resolver = DeadlineResolver(discoverer.resolver, timeout: discoverer.timeout)
        let cache = OrganizationalDomainCache(discoverer: discoverer, resolver: resolver, seed: [policyDomain: organizational])
        let policyOrg = organizational
        var results: [ReportAuthorization] = []
        let entries = record.aggregateReportURIs.map { ("rua", $0) } + record.failureReportURIs.map { ("ruf", $0) }
        for (tag, uri) in entries {
            guard let destination = uri.mailbox?.domain else { continue }
            var entry = ReportAuthorization(tag: tag, uri: uri, destination: destination, status: .unknown)
            if destination.isSubdomain(of: policyOrg) {
                entry.status = .sameOrganization
                results.append(entry)
                continue
            }
            switch await cache.organizationalDomain(of: destination, generation: .rfc9989) {
            case .failure(let failure):
                entry.failure = failure
                results.append(entry)
                continue
            case .success(let destinationOrg) where destinationOrg == policyOrg:
                entry.status = .sameOrganization
                results.append(entry)
                continue
            case .success:
                break
            }
            guard let name = try? destination.prepending("\(policyDomain)._report._dmarc") else {
                entry.status = .notAuthorized
                results.append(entry)
                continue
            }
            entry.queriedName = name
            do {
                let response = try await resolver.query(name, .txt)
                entry.status = response.txt.map(\.joined).contains(where: DMARCRecord.startsWithVersion)
                    ? .authorized : .notAuthorized
            } catch {
                entry.failure = error
            }
            results.append(entry)
        }
        return results
    }
}
