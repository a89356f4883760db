import Foundation
import TestSupport
import Testing

/// Issue 13: `*.sub.example.test TXT "v=spf1 -all"` answers SPF at `_dmarc.sub.example.test`.
/// Receivers discard it and take the organizational record's `sp` (RFC 9989 §4.10; RFC 7489
/// §6.6.3), so the audit must too, with no DMARC error. The built binary, live against Knot and
/// offline from the same zone file.
@Suite("dnsaudit with a wildcard TXT at _dmarc", .serialized)
struct WildcardDMARCTests {
    static let zones = KnotServer.fixtures("audit/wildcard")

    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func theAuditInheritsTheOrganizationalPolicyWithNoDMARCError() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(
                ["sub.example.test", "--nameserver", "127.0.0.1:\(server.port)", "--format", "json", "--timeout", "2", "--no-probe"])
            #expect(result.stderr.isEmpty, "\(result.stderr)")
            let report = try Self.json(result.stdout)
            let areas = report["areas"] as? [[String: Any]] ?? []
            let dmarc = try #require(areas.first { $0["area"] as? String == "dmarc" })
            #expect(dmarc["summary"] as? String == "sp=reject from _dmarc.example.test (inherited); organizational domain example.test")
            #expect(dmarc["status"] as? String == "pass")
            let findings = areas.flatMap { $0["findings"] as? [[String: Any]] ?? [] }
            #expect(!findings.contains { $0["id"] as? String == "dmarc.not-dmarc-record" }, "\(findings)")
            #expect(!findings.contains { $0["severity"] as? String == "error" }, "\(findings)")
            #expect(result.status == 0)
        }
    }

    @Test func theDMARCCommandOverTheZoneFileAgrees() async throws {
        let result = try await CLIRunner.run(
            ["dmarc", "sub.example.test", "--zone", Self.zones, "--offline", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let report = try Self.json(result.stdout)
        let modern = try #require(report["rfc9989"] as? [String: Any])
        #expect(modern["policy"] as? String == "reject")
        #expect(modern["appliedTag"] as? String == "sp")
        #expect(modern["policyDomain"] as? String == "example.test")
        let findings = report["findings"] as? [[String: Any]] ?? []
        #expect(!findings.contains { $0["id"] as? String == "dmarc.not-dmarc-record" }, "\(findings)")
        #expect(!findings.contains { $0["severity"] as? String == "error" }, "\(findings)")
    }
}
