import DNSAudit
import DNSCore
import Foundation
import TestSupport
import Testing

/// `dnsaudit --trust-anchor FILE` end to end: the built binary validates DNSSEC against the signed
/// tree of Tests/Fixtures/dnssec/make-signed-tree, served by Knot on 127.0.0.1 or read with
/// `--zone --offline`.
@Suite struct DNSSECAuditCLITests {
    static func audit(_ arguments: [String]) async throws -> (CLIRunner.Result, [String: Any]) {
        let result = try await CLIRunner.run(arguments + ["--format", "json", "--timeout", "2", "--no-probe"])
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, object)
    }

    static func dnssecArea(_ report: [String: Any]) -> [String: Any] {
        (report["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "dnssec" } ?? [:]
    }

    static func ids(_ area: [String: Any]) -> Set<String> {
        Set((area["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
    }

    /// (name, type, security, reason) of each validated answer.
    static func answers(_ area: [String: Any]) -> [String] {
        (area["dnssec"] as? [[String: Any]] ?? []).map {
            "\($0["name"] as? String ?? "?") \($0["type"] as? String ?? "?") \($0["security"] as? String ?? "?") \($0["reason"] as? String ?? "?")"
        }
    }

    @Test func aSignedDomainsMXMTASTSAndTLSAAnswersAreSecureAndPKIXUsagesAreFlagged() async throws {
        let directory = try await SignedTree.directory()
        try await KnotServer.with(zoneDirectory: directory) { server in
            let (result, report) = try await Self.audit([
                "example.test", "--nameserver", "127.0.0.1:\(server.port)", "--trust-anchor", directory + "/anchor.key",
            ])
            let area = Self.dnssecArea(report)
            #expect(Self.answers(area) == [
                "example.test. MX secure chain-of-trust", "_mta-sts.example.test. TXT secure chain-of-trust",
                "_25._tcp.mx.example.test. TLSA secure chain-of-trust", "_25._tcp.mx2.example.test. TLSA secure chain-of-trust",
            ], "\(result.stderr)")
            #expect((area["summary"] as? String)?.contains("answers are DNSSEC-secure") == true)
            #expect(Self.ids(area) == ["dane.unusable-usage", "dane.no-usable-tlsa"])
            // The chain of trust, drawn as drill -S draws it.
            #expect((area["records"] as? [String] ?? []).contains { $0.contains("|---example.test. (DS keytag: ") })
        }
    }

    @Test(arguments: [
        ("expired.test", "dnssec.bogus", "fail"), ("nokey.test", "dnssec.bogus", "fail"), ("optout.test", "dnssec.insecure", "absent"),
        ("insecure.example.test", "dane.tlsa-insecure", "warn"),
    ])
    func eachBrokenVariantGivesItsFinding(domain: String, id: String, status: String) async throws {
        let directory = try await SignedTree.directory()
        try await KnotServer.with(zoneDirectory: directory) { server in
            let (result, report) = try await Self.audit([
                domain, "--nameserver", "127.0.0.1:\(server.port)", "--trust-anchor", directory + "/anchor.key", "--fail-on", "error",
            ])
            let area = Self.dnssecArea(report)
            #expect(Self.ids(area).contains(id), "\(domain): \(Self.ids(area)) \(Self.answers(area))")
            // Other areas of these bare zones fail too (no SPF, DMARC): the DNSSEC area is what is checked.
            #expect(area["status"] as? String == status)
            #expect(result.status == 1)
        }
    }

    /// `--zone DIR --offline` over the signed zone files gives the same result as Knot.
    @Test func theSignedZoneFilesValidateOffline() async throws {
        let directory = try await SignedTree.directory()
        let (result, report) = try await Self.audit([
            "example.test", "--zone", directory, "--offline", "--trust-anchor", directory + "/anchor.key",
        ])
        let area = Self.dnssecArea(report)
        #expect(Self.answers(area).allSatisfy { $0.hasSuffix("secure chain-of-trust") }, "\(Self.answers(area)) \(result.stderr)")
        #expect(Self.answers(area).count == 4)
    }

    /// Without the root in the zone files, offline validation cannot start: not checked, never bogus.
    @Test func offlineWithoutTheParentZonesIsIndeterminate() async throws {
        let directory = try await SignedTree.directory()
        let (_, report) = try await Self.audit([
            "example.test", "--zone", directory + "/example.test.zone", "--offline", "--trust-anchor", directory + "/anchor.key",
        ])
        let area = Self.dnssecArea(report)
        #expect(Self.ids(area).contains("dnssec.indeterminate"))
        #expect(!Self.ids(area).contains("dnssec.bogus"))
        #expect(area["status"] as? String == "incomplete")
    }

    @Test func verboseTextShowsTheTrustTree() async throws {
        let directory = try await SignedTree.directory()
        try await KnotServer.with(zoneDirectory: directory) { server in
            let result = try await CLIRunner.run([
                "example.test", "--nameserver", "127.0.0.1:\(server.port)", "--trust-anchor", directory + "/anchor.key", "--verbose",
                "--no-probe",
            ])
            #expect(result.stdout.contains("example.test. (MX)"))
            #expect(result.stdout.contains("|---test. (DS keytag:"))
            #expect(result.stdout.contains("answers are DNSSEC-secure"))
        }
    }

    @Test func aTrustAnchorFileThatIsNotOneIsAUsageError() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-anchor-\(UUID().uuidString)").path
        try "example.test. IN A 192.0.2.1\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try await CLIRunner.run(["example.test", "--zone", KnotServer.fixtures("dns/zones"), "--offline", "--trust-anchor", path])
        #expect(result.status == 64)
        #expect(result.stderr.contains(path) && result.stderr.contains("no DS or DNSKEY record"), "\(result.stderr)")
        let missing = try await CLIRunner.run(["example.test", "--zone", KnotServer.fixtures("dns/zones"), "--offline", "--trust-anchor", path + ".none"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains(path + ".none"), "\(missing.stderr)")
    }
}
