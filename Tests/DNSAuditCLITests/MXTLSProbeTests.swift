@testable import DNSAudit
import DNSCore
import Foundation
import MailAuthCore
import TLS
import Testing

/// The MX probe's cache (one probe per host, shared, bounded) and the findings of a TLS session
/// no server here can give (Debian's OpenSSL refuses TLS below 1.2 at both ends). The probes
/// themselves run against Postfix in MXTLSCLITests.
@Suite struct MXTLSProbeTests {
    static func result(_ host: String, version: String? = nil, verified: Bool = true) -> MXTLSResult {
        let tls = version.map {
            TLSSession(
                version: $0, cipher: "ECDHE-RSA-AES128-SHA", group: nil, serverName: host, chain: [],
                verification: CertificateVerification(
                    verified: verified, code: verified ? 0 : 62, reason: verified ? "ok" : "hostname mismatch", expectedName: host))
        }
        return MXTLSResult(host: host, reached: true, startTLS: true, tls: tls, failure: nil, milliseconds: 5)
    }

    final class Counter: Sendable {
        let count = LockedState(0)
        func next() -> Int { count.withLock { $0 += 1; return $0 } }
    }

    @Test func concurrentAsksForOneHostShareOneProbe() async throws {
        let cache = MXTLSCache(maximumEntries: 8)
        let counter = Counter()
        let host = try DomainName("mx.example.test")
        let cachedFlags = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    await cache.result(for: host) {
                        _ = counter.next()
                        try? await Task.sleep(for: .milliseconds(50))
                        return Self.result("mx.example.test", version: "TLSv1.3")
                    }.cached
                }
            }
            var flags: [Bool] = []
            for await flag in group { flags.append(flag) }
            return flags
        }
        #expect(counter.count.withLock { $0 } == 1)
        #expect(cachedFlags.filter { !$0 }.count == 1)
        #expect(cache.statistics.probes == 1 && cache.statistics.hits == 49)
    }

    @Test func theCacheKeepsAtMostItsBoundAndForgetsTheOldestFirst() async throws {
        let cache = MXTLSCache(maximumEntries: 2)
        let counter = Counter()
        for name in ["a.test", "b.test", "c.test", "c.test", "a.test"] {
            _ = await cache.result(for: try DomainName(name)) {
                _ = counter.next()
                return Self.result(name)
            }
        }
        // a, b, c probed; c from the cache; a was forgotten when c came, so probed again.
        #expect(counter.count.withLock { $0 } == 4)
        #expect(cache.statistics.hits == 1)
    }

    @Test func aGreetingWithoutAnEHLOReplyIsNotCheckedRatherThanMissingSTARTTLS() {
        let refused = MXTLSResult(
            host: "mx.refuses.test", reached: true, startTLS: nil, tls: nil, failure: "554 5.7.1 no thanks", milliseconds: 3)
        let findings = MXTLSCheck.hostFindings(refused, enforced: true)
        #expect(findings.map(\.id) == ["mx.smtp-unreachable"])
        #expect(findings.first?.detail.contains("did not answer EHLO (554 5.7.1 no thanks)") == true, "\(findings)")
        #expect(findings.first?.severity == .info)
    }

    @Test func anOldTLSVersionAndABadCertificateAreFoundAndEnforceModeMakesTheCertificateAnError() {
        let old = MXTLSCheck.hostFindings(Self.result("mx.old.test", version: "TLSv1.1"), enforced: false)
        #expect(old.map(\.id) == ["mx.tls-old-version"])
        let current = MXTLSCheck.hostFindings(Self.result("mx.new.test", version: "TLSv1.3"), enforced: false)
        #expect(current.isEmpty)
        let testing = MXTLSCheck.hostFindings(Self.result("mx.bad.test", version: "TLSv1.3", verified: false), enforced: false)
        #expect(testing.map(\.id) == ["mx.tls-certificate"] && testing.first?.severity == .warning)
        let enforce = MXTLSCheck.hostFindings(Self.result("mx.bad.test", version: "TLSv1.3", verified: false), enforced: true)
        #expect(enforce.first?.severity == .error)
        #expect(enforce.first?.detail.contains("hostname mismatch") == true)
    }

    /// No STARTTLS is a warning, unless MTA-STS enforces TLS or DNSSEC-secure TLSA records make
    /// DANE senders require it (RFC 7672 §2.2): then they defer the mail, an error.
    @Test func noSTARTTLSIsAnErrorWhenDANEOrMTASTSRequireTLS() {
        let plain = MXTLSResult(host: "mx.plain.test", reached: true, startTLS: false, tls: nil, failure: nil, milliseconds: 3)
        for (enforced, dane, severity) in [(false, false, Severity.warning), (true, false, .error), (false, true, .error), (true, true, .error)] {
            let findings = MXTLSCheck.hostFindings(plain, enforced: enforced, dane: dane)
            #expect(findings.map(\.id) == ["mx.starttls-missing"])
            #expect(findings.first?.severity == severity, "enforced \(enforced), DANE \(dane)")
            #expect(findings.first?.detail.contains("DANE senders") == dane, "\(findings)")
            #expect(findings.first?.detail.contains("MTA-STS senders") == enforced, "\(findings)")
        }
    }

    /// DNSSEC-secure TLSA records that are all unusable (PKIX usages) still make DANE senders
    /// require TLS (RFC 7672 §2.2, as Postfix does): no STARTTLS is then an error.
    @Test func unusableTLSARecordsStillMakeTLSRequired() throws {
        let plain = MXTLSResult(host: "mx.plain.test", reached: true, startTLS: false, tls: nil, failure: nil, milliseconds: 3)
        let pkix = TLSARecord(usage: 1, selector: 1, matchingType: 1, data: Array(repeating: 0xAA, count: 32))
        let area = AreaReport(area: .mx, summary: "1 MX host", findings: [])
        let secure = ["mx.plain.test": DNSSECCheck.HostTLSA(base: try DomainName("mx.plain.test"), records: [pkix])]
        for (tlsa, severity) in [([:], Severity.warning), (secure, .error)] {
            let extended = MXTLSCheck.extend(area, with: [(plain, cached: false)], secureTLSA: tlsa, enforced: false)
            #expect(extended.findings.first { $0.id == "mx.starttls-missing" }?.severity == severity, "\(extended.findings)")
        }
    }
}
