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
                "_25._tcp.mx3.example.test. TLSA secure chain-of-trust",
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
        #expect(Self.answers(area).count == 5)
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

extension DNSSECAuditCLITests {
    /// The questions validation asks count in the report's `questions`: the cost of DNSSEC
    /// is visible per domain.
    @Test func validationQuestionsAreCountedInTheReport() async throws {
        let directory = try await SignedTree.directory()
        try await KnotServer.with(zoneDirectory: directory) { server in
            let (_, plain) = try await Self.audit(["example.test", "--nameserver", "127.0.0.1:\(server.port)"])
            let (_, validated) = try await Self.audit([
                "example.test", "--nameserver", "127.0.0.1:\(server.port)", "--trust-anchor", directory + "/anchor.key",
            ])
            let before = try #require(plain["questions"] as? Int)
            let after = try #require(validated["questions"] as? Int)
            // MX, the MTA-STS TXT, 3 TLSA, and the DS and DNSKEY of example.test., test. and the
            // root's DNSKEY: at least 10 more (the AD-flag SOA question is not asked).
            #expect(after >= before + 9, "without validation \(before), with \(after)")
        }
    }
}

extension DNSSECAuditCLITests {
    /// An anchor for the domain's own zone (its KSK's DS, as `ldns-keygen -k` writes it)
    /// validates a lone zone file offline: no parent needed above the anchor.
    @Test func anAnchorForTheZoneItselfValidatesItsFileOffline() async throws {
        let directory = try await SignedTree.directory()
        let keys = try FileManager.default.contentsOfDirectory(atPath: directory + "/keys")
        // Made by make-signed-tree: the DS of example.test.'s KSK (the only key with a .ds file).
        let ds = try #require(keys.first { $0.hasPrefix("Kexample.test.+") && $0.hasSuffix(".ds") })
        let (result, report) = try await Self.audit([
            "example.test", "--zone", directory + "/example.test.zone", "--offline", "--trust-anchor", directory + "/keys/" + ds,
        ])
        let area = Self.dnssecArea(report)
        let answers = Self.answers(area)
        #expect(answers.first == "example.test. MX secure chain-of-trust", "\(answers) \(result.stderr)")
        #expect(answers.filter { $0.contains("TLSA") }.allSatisfy { $0.hasSuffix("secure chain-of-trust") }, "\(answers)")
    }
}

extension DNSSECAuditCLITests {
    /// `dnsaudit query NAME TYPE --trust-anchor FILE` draws the same tree as `drill -S`.
    @Test func queryDrawsTheChainOfTrustAsDrillDoes() async throws {
        let directory = try await SignedTree.directory()
        try await KnotServer.with(zoneDirectory: directory) { server in
            let ours = try await CLIRunner.run([
                "query", "_25._tcp.mx.example.test", "TLSA", "--nameserver", "127.0.0.1:\(server.port)",
                "--trust-anchor", directory + "/anchor.key",
            ])
            #expect(ours.status == 0, "\(ours.stderr)")
            #expect(ours.stdout.contains("DNSSEC: secure"))
            let drill = try await ProcessRunner.run(
                "/usr/bin/drill",
                ["-t", "-p", String(server.port), "-k", directory + "/anchor.key", "-S", "_25._tcp.mx.example.test", "TLSA", "@127.0.0.1"],
                timeout: 30)
            let lines = drill.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
            let start = try #require(lines.firstIndex(of: "DNSSEC Trust tree:"))
            let tree = lines[(start + 1)...].prefix { !$0.hasPrefix(";;") && !$0.isEmpty }.joined(separator: "\n")
            #expect(!tree.isEmpty)
            #expect(ours.stdout.contains(tree), "ours:\n\(ours.stdout)\ndrill:\n\(tree)")
            let json = try await CLIRunner.run([
                "query", "example.test", "MX", "--zone", directory, "--offline", "--trust-anchor", directory + "/anchor.key",
                "--format", "json",
            ])
            #expect(json.status == 64)
        }
    }
}
