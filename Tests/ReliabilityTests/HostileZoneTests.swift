import DNSAudit
import DNSCore
import DNSLDNS
import Foundation
import MailAuthCore
import SPF
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The hostile zone set (Tests/Fixtures/hostile) served by a real Knot on loopback, audited end to
/// end: every audit finishes inside its deadline and says what happened.
@Suite(.serialized) struct HostileZoneTests {
    static let zones = KnotServer.fixtures("hostile")
    /// The deadline given to each audit; the test allows a little over it for the report.
    /// Far above what any hostile zone needs alone (the whole suite takes well under a second), so
    /// that a machine loaded by the parallel suite's daemons and CLI runs cannot push an audit past
    /// it; no case here is meant to end by the deadline.
    static let deadline: Duration = .seconds(30)

    static func name(_ relative: String) throws -> DomainName {
        try DomainName(relative.isEmpty ? "hostile.test" : relative + ".hostile.test")
    }

    static var longName: String {
        var labels: [String] = []
        var length = "hostile.test".count
        while length + 61 <= 253 - 8 {
            labels.append(String(repeating: "m", count: 60))
            length += 61
        }
        labels.append(String(repeating: "n", count: 253 - length - 1))
        return labels.joined(separator: ".")
    }

    /// Audits `name` through the server and checks the generic promises: inside the deadline,
    /// every area reported, no area left without a summary.
    static func audit(_ relative: String, _ server: KnotServer) async throws -> AuditReport {
        let auditor = Auditor(
            resolver: server.resolver(timeout: .seconds(2), attempts: 1), options: .init(deadline: deadline))
        let started = ContinuousClock.now
        let report = await auditor.audit(try name(relative))
        let elapsed = ContinuousClock.now - started
        // Loose (timings belong in Benchmarks/; the pool is shared by parallel tests): catches a hang.
        #expect(elapsed < deadline + .seconds(10), "audit of \(relative) took \(elapsed)")
        #expect(report.areas.count == AuditArea.allCases.count)
        for area in report.areas { #expect(!area.summary.isEmpty, "\(relative): \(area.area) has no summary") }
        return report
    }

    static func ids(_ report: AuditReport, _ area: AuditArea) -> [String] {
        report[area]?.findings.map(\.id) ?? []
    }

    static func text(_ report: AuditReport, _ area: AuditArea) -> String {
        (report[area]?.findings ?? []).map { "\($0.id) \($0.title) \($0.detail)" }.joined(separator: "\n")
    }

    @Test func hostileZonesAreAuditedInsideTheirDeadline() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            // SPF include bomb: the 10-lookup limit stops it; the finding says so.
            let bomb = try await Self.audit("bomb", server)
            #expect(bomb[.spf]?.status == .fail, "\(Self.text(bomb, .spf))")
            #expect(Self.text(bomb, .spf).lowercased().contains("lookup"), "\(Self.text(bomb, .spf))")

            // 20 MX hosts: SPF `mx` over the 10-name limit; the MX area still lists them.
            let mx20 = try await Self.audit("mx20", server)
            #expect(mx20[.spf]?.status == .fail, "\(Self.text(mx20, .spf))")
            // (The MX area asks for PTR records this authoritative server refuses: incomplete, said so.)
            #expect(Self.ids(mx20, .mx).contains("mx.too-many"), "\(Self.text(mx20, .mx))")

            // Include loop, self-include, redirect loop: errors, not hangs.
            for name in ["loop", "selfloop", "redirect"] {
                let report = try await Self.audit(name, server)
                #expect(report[.spf]?.status == .fail, "\(name): \(Self.text(report, .spf))")
            }

            // CNAME loop at the domain itself, and a 41-link chain: incomplete, naming the chain.
            let loop = try await Self.audit("cnameloop", server)
            #expect(loop.status == .incomplete || loop.status == .fail)
            #expect(loop.findings.contains { "\($0.title) \($0.detail)".lowercased().contains("cname") })
            let chain = try await Self.audit("longchain", server)
            #expect(chain.findings.contains { "\($0.title) \($0.detail)".lowercased().contains("cname") })
            _ = try await Self.audit("mxchain", server)

            // A 64 KB TXT RRset at the domain, and a 6.8 KB SPF record.
            let big = try await Self.audit("big", server)
            #expect(big[.spf]?.status != .pass)
            let bigSPF = try await Self.audit("bigspf", server)
            #expect(bigSPF[.spf]?.status != .incomplete, "\(Self.text(bigSPF, .spf))")

            // Names at the limits.
            _ = try await Self.audit(String(repeating: "l", count: 63), server)
            let long = try await Self.audit(Self.longName, server)
            #expect(long[.spf]?.status != .incomplete, "\(Self.text(long, .spf))")

            // Control bytes and non-ASCII in every kind of record.
            let ctrl = try await Self.audit("ctrl", server)
            #expect(ctrl[.spf]?.status == .fail, "\(Self.text(ctrl, .spf))")
            #expect(ctrl[.dmarc]?.status != .pass, "\(Self.text(ctrl, .dmarc))")

            // DMARC at every level of a 12-label name: found at the first level, within 8 queries.
            let deep = try await Self.audit("a.b.c.d.e.f.g.h.i.j", server)
            #expect(deep[.dmarc]?.status != .incomplete, "\(Self.text(deep, .dmarc))")
        }
    }

    @Test func spfIncludeBombStopsAtTheLookupLimit() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let evaluator = SPFEvaluator(resolver: server.resolver(), timeout: .seconds(10))
            let started = ContinuousClock.now
            let result = await evaluator.evaluate(
                ip: .v4(IPv4Address(0xCB00_7101)), domain: "bomb.hostile.test", sender: "x@bomb.hostile.test",
                helo: "helo.example")
            #expect(result.result == .permerror, "\(result.problem ?? "")")
            #expect(result.dnsLookups <= SPFLimits.maximumDNSMechanisms + 1)
            #expect(ContinuousClock.now - started < .seconds(20))
            for (domain, expected) in [("loop", SPFResult.permerror), ("redirect", .permerror), ("mx20", .permerror)] {
                let outcome = await evaluator.evaluate(
                    ip: .v4(IPv4Address(0xCB00_7101)), domain: "\(domain).hostile.test", sender: "x@\(domain).hostile.test",
                    helo: "helo.example")
                #expect(outcome.result == expected, "\(domain): \(outcome.result) \(outcome.problem ?? "")")
            }
        }
    }

    @Test func cnameLoopsAndLongChainsFailAsCNAMEErrors() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let resolver = server.resolver()
            for name in ["cnameloop", "longchain"] {
                let question = DNSQuestion(try Self.name(name), .txt)
                do throws(DNSError) {
                    let response = try await resolver.query(question)
                    Issue.record("\(name): expected a CNAME error, got \(response.outcome)")
                } catch {
                    #expect(error.kind == .cnameLoop, "\(name): \(error)")
                }
            }
            // The 64 KB RRset arrives whole, over TCP.
            let big = try await resolver.query(try Self.name("big"), .txt)
            #expect(big.records.count == 240)
            #expect(big.truncatedOverUDP && big.transport == .tcp)
        }
    }
}

/// Audits through nameservers that never answer or answer wrongly: incomplete, inside the deadline.
/// (Not serialized: these tests mostly wait.)
@Suite struct HostileNameserverAuditTests {
    @Test func auditsThroughASilentNameserverEndAtTheirDeadline() async throws {
        let silent = try SilentServer()
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .seconds(1), attempts: 2)
        let auditor = Auditor(resolver: resolver, options: .init(deadline: .seconds(3)))
        let started = ContinuousClock.now
        let report = await auditor.audit(try DomainName("example.test"))
        #expect(ContinuousClock.now - started < .seconds(13))
        #expect(report.status == .incomplete)
        #expect(report.areas.allSatisfy { $0.status == .incomplete || $0.status == .pass })
        #expect(report.findings.contains { "\($0.title) \($0.detail)".contains("timed out") || "\($0.title) \($0.detail)".contains("deadline") })
    }

    @Test(arguments: [FaultyServer.Fault.garbage, .stalledTCP, .wrongID, .wrongQuestion, .truncatedPacket, .notAResponse, .flood])
    func auditsThroughAMisbehavingNameserverAreIncomplete(_ fault: FaultyServer.Fault) async throws {
        let server = try FaultyServer(fault)
        defer { server.stop() }
        let resolver = LDNSResolver(nameservers: [server.nameserver], timeout: .milliseconds(400), attempts: 2)
        let auditor = Auditor(resolver: resolver, options: .init(deadline: .seconds(2)))
        let started = ContinuousClock.now
        let report = await auditor.audit(try DomainName("example.test"))
        #expect(ContinuousClock.now - started < .seconds(12))
        #expect(report.status == .incomplete, "\(fault): \(report.status)")
        // The server was asked, unless the whole suite kept this task off the (2-thread) pool until
        // the deadline had passed, which the report then says.
        let deadlineSaid = report.findings.contains { $0.detail.contains("deadline") }
        #expect(server.queryCount > 0 || deadlineSaid, "\(fault): \(report.findings.map(\.detail))")
    }
}

/// Regressions found by the hostile zones.
@Suite struct AuditRegressionTests {
    /// `_mta-sts.`, `_smtp._tls.`, `default._bimi.` and `_domainkey.` were prepended with `try!`:
    /// a domain within 10 octets of the 253 limit crashed the audit (DNSAudit/PolicyRecordChecks.swift,
    /// DKIMKeyCheck.swift). Now each area reports that the name would be too long.
    @Test func aDomainNearTheLengthLimitIsAuditedNotCrashed() async throws {
        let domain = try DomainName(HostileZoneTests.longName + ".hostile.test")
        #expect(domain.fullyQualified.utf8.count == 254)
        let zone = ZoneResolver(records: [
            ResourceRecord(name: domain, ttl: 300, data: .txt(TXTData(text: "v=spf1 -all")))
        ])
        let report = await Auditor(resolver: zone, options: .init(deadline: .seconds(60))).audit(domain)
        for area in [AuditArea.mtaSts, .tlsRpt, .bimi, .dkim] {
            #expect(report[area]?.findings.map(\.id).contains("\(area.rawValue).name-too-long") == true, "\(area)")
        }
        #expect(report[.spf]?.status == .pass)
    }
}

/// Regressions found by the fuzzers (Fuzz/Regressions).
@Suite struct FuzzRegressionTests {
    /// ldns 1.8.3's ldns_zone_new_frm_fp_l frees a second SOA and reads it again (use after free):
    /// `--zone` on a file with two SOAs crashed (FuzzZoneFile). DNSLDNS now runs its own loop.
    @Test func aZoneFileWithSeveralSOAsIsReadNotCrashed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("two-soa-\(getpid()).zone").path
        try """
            $ORIGIN two-soa.test.
             SOA . h 1 0 0 8 0
             SOA e . 1 6 6 0 6
             SOA s h 1 3 6 8 0
            @ TXT "v=spf1 -all"
            @ TXT "second"
            www 600 A 192.0.2.1

            """.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let records = try ZoneResolver.readZoneFile(path)
        #expect(records.filter { $0.type == .soa }.count == 1)
        #expect(records.filter { $0.type == .txt }.count == 2)
        #expect(records.first { $0.type == .a }?.ttl == 600)
        // Every crash input kept in Fuzz/Regressions reads without crashing.
        let directory = KnotServer.fixtures("../../Fuzz/Regressions/FuzzZoneFile")
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) {
            _ = try? ZoneResolver.readZoneFile(directory + "/" + file)
        }
    }
}
