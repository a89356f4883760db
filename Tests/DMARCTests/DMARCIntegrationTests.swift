import DMARC
import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// DMARC discovery and inspection through `LDNSResolver` against a real authoritative server (Knot)
/// on 127.0.0.1, serving `Tests/Fixtures/dmarc/zones`. `broken.test` has no zone file, so Knot
/// answers SERVFAIL for it.
@Suite("DMARC against Knot on loopback", .enabled(if: KnotServer.knotd != nil, "knotd is not installed"))
struct DMARCIntegrationTests {
    static let zones = KnotServer.fixtures("dmarc/zones")

    func withServer<T>(_ body: (KnotServer) async throws -> T) async throws -> T {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"], body)
    }

    @Test func aSubdomainInheritsItsOrganizationalDomainsPolicy() async throws {
        try await withServer { server in
            let resolver = RecordingResolver(server.resolver())
            let discovery = await DMARCDiscoverer(resolver: resolver).discoverPolicy(for: try DomainName("deep.mail.org.test"))
            #expect(discovery.status == .found)
            #expect(resolver.txtNames == ["_dmarc.deep.mail.org.test", "_dmarc.mail.org.test", "_dmarc.org.test", "_dmarc.test"])
            #expect(discovery.organizationalDomain.description == "org.test")
            #expect(discovery.policyDomain?.description == "org.test")
            #expect(discovery.authorDomainExists == true)
            #expect(discovery.appliedTag == .sp)
            #expect(discovery.policy == .quarantine)
        }
    }

    @Test func aNonExistentSubdomainGetsNp() async throws {
        try await withServer { server in
            let discovery = await DMARCDiscoverer(resolver: server.resolver()).discoverPolicy(for: try DomainName("ghost.org.test"))
            #expect(discovery.authorDomainExists == false)
            #expect(discovery.appliedTag == .np)
            #expect(discovery.policy == .reject)
            // RFC 7489 knows no np: sp applies.
            let legacy = await DMARCDiscoverer(resolver: server.resolver()).discoverLegacyPolicy(for: try DomainName("ghost.org.test"))
            #expect(legacy.policy == .quarantine)
        }
    }

    @Test func psdNMakesASubdomainItsOwnOrganization() async throws {
        try await withServer { server in
            let resolver = RecordingResolver(server.resolver())
            let discovery = await DMARCDiscoverer(resolver: resolver).discoverPolicy(for: try DomainName("x.own.org.test"))
            #expect(resolver.txtNames == ["_dmarc.x.own.org.test", "_dmarc.own.org.test"])
            #expect(discovery.organizationalDomain.description == "own.org.test")
            #expect(discovery.policy == DMARCRecord.Policy.none)
        }
    }

    @Test func anExternalRuaNeedsAnAuthorizationRecord() async throws {
        try await withServer { server in
            let report = await DMARCChecker(resolver: server.resolver()).check(try DomainName("org.test"))
            let statuses = Dictionary(uniqueKeysWithValues: report.reportAuthorizations.map { ($0.destination.description, $0.status) })
            #expect(statuses == ["org.test": .sameOrganization, "reports.test": .authorized, "unauth.test": .notAuthorized])
            let unauthorized = report.findings.filter { $0.id == "dmarc.rua-unauthorized" }
            #expect(unauthorized.count == 1)
            #expect(unauthorized.first?.evidence.contains { $0.contains("org.test._report._dmarc.unauth.test") } == true)
            #expect(report.isComplete)
        }
    }

    @Test func aServerFailureIsATemporaryError() async throws {
        try await withServer { server in
            let discovery = await DMARCDiscoverer(resolver: server.resolver()).discoverPolicy(for: try DomainName("mail.broken.test"))
            guard case .temporaryError(let failure) = discovery.status else {
                Issue.record("expected a temporary error, got \(discovery.status)")
                return
            }
            #expect(failure.kind == .serverFailure)
        }
    }
}
