import Foundation
import TestSupport
import Testing

/// The audit's MX STARTTLS probe and DANE matching end to end (RFC 3207, RFC 8461 §4.2, RFC 7672
/// §3.1): the built binary audits a signed tree served by Knot (Tests/Fixtures/mta-sts/
/// make-dane-tree, TLSA records made by `ldns-dane create`), validates it from the tree's own root
/// key, and probes a real Postfix on 127.0.0.1 reached with `--connect-to`.
@Suite(.serialized) struct MXTLSCLITests {
    struct Fixture {
        var ca: TestCA
        var postfix: PostfixServer
        var knot: KnotServer
        var tree: String
        /// Extra port-25 listeners of the same Postfix: no STARTTLS; STARTTLS with no TLS version allowed.
        var plainPort: UInt16
        var brokenPort: UInt16

        var arguments: [String] {
            [
                "--nameserver", "127.0.0.1:\(knot.port)", "--trust-anchor", tree + "/anchor.key", "--timeout", "2",
                "--connect-to", "mx.match.dane:25=127.0.0.1:\(postfix.port(.relay))",
                "--connect-to", "mx.mismatch.dane:25=127.0.0.1:\(postfix.port(.relay))",
                "--connect-to", "mx.plain.dane:25=127.0.0.1:\(plainPort)",
                "--connect-to", "mx.notls.dane:25=127.0.0.1:\(plainPort)",
                "--connect-to", "mx.broken.dane:25=127.0.0.1:\(brokenPort)",
                "--connect-to", "mx.ta.dane:25=127.0.0.1:\(postfix.port(.relay))",
                "--connect-to", "mx.alias.dane:25=127.0.0.1:\(postfix.port(.relay))",
                "--connect-to", "mx.provider.dane:25=127.0.0.1:\(postfix.port(.relay))",
                "--connect-to", "mx.fallback.dane:25=127.0.0.1:\(postfix.port(.relay))",
                "--connect-to", "mx.bogusalias.dane:25=127.0.0.1:\(postfix.port(.relay))",
            ]
        }

        /// Connections Postfix's port-25 listener accepted, from its log.
        var connections: Int {
            postfix.maillog.split(separator: "\n").filter { $0.contains(" connect from ") }.count
        }
    }

    static func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        let ca = try await TestCA.create(hostName: "mx.match.dane")
        defer { ca.remove() }
        // Postfix sends its certificate and the CA's, so a DANE-TA(2) record can match the CA.
        let chain = ca.directory + "/chain.pem"
        try Data(
            (try String(contentsOfFile: ca.certificateFile(.valid), encoding: .utf8)
                + (try String(contentsOfFile: ca.caFile, encoding: .utf8))).utf8
        ).write(to: URL(fileURLWithPath: chain))
        let plainPort = randomServerPort()
        var brokenPort = randomServerPort()
        while brokenPort == plainPort { brokenPort = randomServerPort() }
        let postfix = try await PostfixServer.start(
            hostName: "mx.match.dane", certificate: chain, key: ca.keyFile(.valid), users: [:],
            masterLines: [
                "127.0.0.1:\(plainPort) inet n - n - - smtpd -o smtpd_tls_security_level=none",
                "127.0.0.1:\(brokenPort) inet n - n - - smtpd -o smtpd_tls_protocols=!SSLv2,!SSLv3,!TLSv1,!TLSv1.1,!TLSv1.2,!TLSv1.3",
            ])
        defer { postfix.stop() }
        let tree = FileManager.default.temporaryDirectory.appendingPathComponent("dane-tree-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: tree) }
        let made = try await ProcessRunner.run(
            "/bin/sh",
            [KnotServer.fixtures("mta-sts/make-dane-tree"), tree, ca.certificateFile(.valid), ca.certificateFile(.wrongName), chain],
            timeout: 60)
        try #require(made.status == 0, "make-dane-tree: \(made.stderrText)")
        try await KnotServer.with(zoneDirectory: tree) { knot in
            try await body(Fixture(ca: ca, postfix: postfix, knot: knot, tree: tree, plainPort: plainPort, brokenPort: brokenPort))
        }
    }

    static func reports(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    static func mxArea(_ report: [String: Any]) -> [String: Any] {
        (report["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "mx" } ?? [:]
    }

    static func ids(_ area: [String: Any]) -> Set<String> {
        Set((area["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String })
    }

    static func hosts(_ area: [String: Any]) -> [[String: Any]] {
        (area["data"] as? [String: Any])?["mxTLS"] as? [[String: Any]] ?? []
    }

    @Test func aMatchingTLSARecordAndAValidCertificateGiveNoFinding() async throws {
        try await Self.withFixture { fixture in
            let result = try await CLIRunner.run(["match.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments)
            let report = try #require(Self.reports(result.stdout).first, "\(result.stderr)")
            let area = Self.mxArea(report)
            let host = try #require(Self.hosts(area).first, "\(area)")
            #expect(host["host"] as? String == "mx.match.dane")
            #expect(host["reached"] as? Bool == true && host["startTLS"] as? Bool == true, "\(host)")
            #expect((host["tlsVersion"] as? String)?.hasPrefix("TLSv1.") == true)
            #expect(host["certificateValid"] as? Bool == true, "\(host)")
            #expect(host["dane"] as? String == "match", "\(host)")
            #expect((host["daneMatched"] as? String)?.hasPrefix("3 1 1 ") == true)
            #expect(Self.ids(area).isDisjoint(with: ["mx.starttls-missing", "mx.tls-certificate", "mx.tls-handshake-failed", "dane.tlsa-mismatch", "mx.smtp-unreachable"]),
                    "\(Self.ids(area))")
            #expect((area["summary"] as? String)?.contains("STARTTLS on 1 of 1 host") == true)
            // The TLSA answer counted because dnsaudit validated it.
            #expect(result.stdout.contains("\"_25._tcp.mx.match.dane.\""), "the DNSSEC area lists the TLSA answer")
            let verbose = try await CLIRunner.run(["match.dane", "--verbose", "--ca-file", fixture.ca.caFile] + fixture.arguments)
            #expect(verbose.stdout.contains("mx.match.dane:25, STARTTLS TLSv1."), "\(verbose.stdout)")
            #expect(verbose.stdout.contains("certificate ok, DANE match (3 1 1 "))
        }
    }

    @Test func aDANETARecordMatchesTheCAThatTheServerSends() async throws {
        try await Self.withFixture { fixture in
            let result = try await CLIRunner.run(["ta.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments)
            let area = Self.mxArea(try #require(Self.reports(result.stdout).first, "\(result.stderr)"))
            let host = try #require(Self.hosts(area).first, "\(area)")
            #expect(host["dane"] as? String == "match", "\(host)")
            #expect((host["daneMatched"] as? String)?.hasPrefix("2 0 1 ") == true, "\(host)")
            #expect(!Self.ids(area).contains("dane.tlsa-mismatch"))
        }
    }

    static func dnssecAnswers(_ report: [String: Any]) -> [(name: String, type: String, security: String)] {
        let area = (report["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "dnssec" } ?? [:]
        return (area["dnssec"] as? [[String: Any]] ?? []).map {
            ($0["name"] as? String ?? "", $0["type"] as? String ?? "", $0["security"] as? String ?? "")
        }
    }

    /// An MX host that is a CNAME (RFC 7672 §2.2.2): with the chain secure, TLSA records are
    /// looked up first at the name it ends at, then at the MX host's own name when there are
    /// none; a bogus answer at the end of the chain leaves no TLSA records, not the alias's.
    @Test func anAliasedMXHostUsesTheTLSARecordsAtTheEndOfItsChain() async throws {
        try await Self.withFixture { fixture in
            // alias.dane: the expanded name's record matches, the alias's would not.
            let alias = try #require(Self.reports(try await CLIRunner.run(
                ["alias.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments).stdout).first)
            let aliased = try #require(Self.hosts(Self.mxArea(alias)).first, "\(alias)")
            #expect(aliased["host"] as? String == "mx.alias.dane")
            #expect(aliased["dane"] as? String == "match", "\(aliased)")
            #expect(!Self.ids(Self.mxArea(alias)).contains("dane.tlsa-mismatch"))
            let answers = Self.dnssecAnswers(alias)
            #expect(answers.contains { $0 == ("_25._tcp.mx.provider.dane.", "TLSA", "secure") }, "\(answers)")
            // The alias's address validation decides the base domain; it is not an answer reported.
            #expect(!answers.contains { $0.type == "A" }, "\(answers)")

            // both.dane: the alias's chain ends at the other MX host; its TLSA is validated once
            // and serves both.
            let both = try #require(Self.reports(try await CLIRunner.run(
                ["both.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments).stdout).first)
            let bothHosts = Self.hosts(Self.mxArea(both))
            #expect(bothHosts.compactMap { $0["host"] as? String }.sorted() == ["mx.alias.dane", "mx.provider.dane"], "\(bothHosts)")
            #expect(bothHosts.allSatisfy { $0["dane"] as? String == "match" }, "\(bothHosts)")
            #expect(Self.dnssecAnswers(both).filter { $0.name == "_25._tcp.mx.provider.dane." }.count == 1)

            // fallback.dane: no TLSA at the expanded name, so the alias's own, which matches.
            let fallback = try #require(Self.reports(try await CLIRunner.run(
                ["fallback.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments).stdout).first)
            let fellBack = try #require(Self.hosts(Self.mxArea(fallback)).first, "\(fallback)")
            #expect(fellBack["dane"] as? String == "match", "\(fellBack)")
            #expect(Self.dnssecAnswers(fallback).contains { $0 == ("_25._tcp.mx.plain.dane.", "TLSA", "secure") })

            // bogusalias.dane: the expanded name's TLSA is bogus; the alias's (which would match)
            // is not used, and the DNSSEC area says why.
            let bogus = try #require(Self.reports(try await CLIRunner.run(
                ["bogusalias.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments).stdout).first)
            let stopped = try #require(Self.hosts(Self.mxArea(bogus)).first, "\(bogus)")
            #expect(stopped["dane"] == nil, "\(stopped)")
            #expect(Self.dnssecAnswers(bogus).contains { $0 == ("_25._tcp.mx.badtarget.dane.", "TLSA", "bogus") })
            let dnssecIDs = Self.ids((bogus["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "dnssec" } ?? [:])
            #expect(dnssecIDs.contains("dnssec.bogus"), "\(dnssecIDs)")
        }
    }

    @Test func aTLSARecordForAnotherCertificateIsAMismatch() async throws {
        try await Self.withFixture { fixture in
            let result = try await CLIRunner.run(["mismatch.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments)
            let area = Self.mxArea(try #require(Self.reports(result.stdout).first, "\(result.stderr)"))
            let host = try #require(Self.hosts(area).first)
            #expect(host["dane"] as? String == "mismatch", "\(host)")
            // The certificate names mx.match.dane, not mx.mismatch.dane.
            #expect(host["certificateValid"] as? Bool == false)
            #expect(Self.ids(area).isSuperset(of: ["dane.tlsa-mismatch", "mx.tls-certificate"]), "\(Self.ids(area))")
            #expect(area["status"] as? String == "fail")
        }
    }

    @Test func withoutTheCAFileThePKIXCheckFailsButDANEStillMatches() async throws {
        try await Self.withFixture { fixture in
            let result = try await CLIRunner.run(["match.dane", "--format", "jsonl"] + fixture.arguments)
            let area = Self.mxArea(try #require(Self.reports(result.stdout).first, "\(result.stderr)"))
            let host = try #require(Self.hosts(area).first)
            #expect(host["certificateValid"] as? Bool == false)
            // Postfix sends the test CA too, which nothing trusts without --ca-file.
            #expect((host["certificateProblem"] as? String)?.contains("self-signed certificate in certificate chain") == true, "\(host)")
            #expect(host["dane"] as? String == "match")
            #expect(Self.ids(area).contains("mx.tls-certificate"))
        }
    }

    @Test func domainsSharingAnMXHostProbeItOnceInABulkRun() async throws {
        try await Self.withFixture { fixture in
            let before = fixture.connections
            let result = try await CLIRunner.run(
                ["match.dane", "shared.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile, "--concurrency", "2"]
                    + fixture.arguments)
            let reports = Self.reports(result.stdout)
            #expect(reports.count == 2, "\(result.stderr)")
            let cached = reports.compactMap { Self.hosts(Self.mxArea($0)).first?["cached"] as? Bool }.sorted { !$0 && $1 }
            #expect(cached == [false, true], "one probe, then the cache: \(cached)")
            // Postfix saw one connection on port 25 for both domains.
            try await Task.sleep(for: .milliseconds(300))
            #expect(fixture.connections - before == 1, "\(fixture.postfix.maillog.suffix(2000))")
        }
    }

    @Test func anMXWithoutSTARTTLSAndOneWhoseHandshakeFailsEachGiveTheirFinding() async throws {
        try await Self.withFixture { fixture in
            for (domain, id) in [("plain.dane", "mx.starttls-missing"), ("broken.dane", "mx.tls-handshake-failed")] {
                let result = try await CLIRunner.run([domain, "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments)
                let area = Self.mxArea(try #require(Self.reports(result.stdout).first, "\(result.stderr)"))
                let host = try #require(Self.hosts(area).first, "\(domain): \(area)")
                #expect(host["reached"] as? Bool == true, "\(domain): \(host)")
                #expect(Self.ids(area).contains(id), "\(domain): \(Self.ids(area))")
                #expect(host["dane"] == nil, "no TLSA records, no DANE verdict")
                let missing = (area["findings"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "mx.starttls-missing" }
                if domain == "plain.dane" { #expect(missing?["severity"] as? String == "warning", "\(area)") }
            }
            // With DNSSEC-secure TLSA records, DANE senders require TLS: no STARTTLS is an error.
            let result = try await CLIRunner.run(["notls.dane", "--format", "jsonl", "--ca-file", fixture.ca.caFile] + fixture.arguments)
            let area = Self.mxArea(try #require(Self.reports(result.stdout).first, "\(result.stderr)"))
            let missing = (area["findings"] as? [[String: Any]] ?? []).first { $0["id"] as? String == "mx.starttls-missing" }
            #expect(missing?["severity"] as? String == "error", "\(area)")
            #expect((missing?["detail"] as? String)?.contains("DANE senders") == true)
        }
    }

    @Test func noProbeConnectsToNothing() async throws {
        try await Self.withFixture { fixture in
            let before = fixture.connections
            let result = try await CLIRunner.run(["match.dane", "--format", "jsonl", "--no-probe"] + fixture.arguments)
            let area = Self.mxArea(try #require(Self.reports(result.stdout).first, "\(result.stderr)"))
            #expect(Self.hosts(area).isEmpty)
            #expect(Self.ids(area).isDisjoint(with: ["mx.starttls-missing", "mx.smtp-unreachable"]))
            try await Task.sleep(for: .milliseconds(300))
            #expect(fixture.connections == before)
        }
    }
}
