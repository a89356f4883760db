@testable import DNSAudit
import DKIM
import DMARC
import DNSCore
import DNSLDNS
import Foundation
import MailAuthCore
import TestSupport
import Testing

@testable import DNSAuditCLI

/// `--format jsonl` writes reports with `AuditReport.jsonLine()`; its bytes must be those of
/// the Codable conformance through `JSONEncoder`, which defines the format.
@Suite struct JSONLineTests {
    static func foundation(_ report: AuditReport) throws -> String {
        String(decoding: try JSONEncoder.dnsaudit(pretty: false).encode(report), as: UTF8.self)
    }

    static func reports() async throws -> [AuditReport] {
        let directories = [KnotServer.fixtures("audit/zones"), KnotServer.fixtures("hostile")]
        var files: [String] = []
        for directory in directories {
            files += try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".zone") }.sorted().map { directory + "/" + $0 }
        }
        let zone = try ZoneResolver(zoneFiles: files)
        let auditor = Auditor(resolver: zone, options: .init(deadline: .seconds(10)))
        var reports: [AuditReport] = []
        for domain in Set(zone.records.filter { $0.type == .soa }.map(\.name)).sorted() {
            reports.append(await auditor.audit(domain))
        }
        return reports
    }

    /// Every scenario domain of the end-to-end tests and the hostile zone (control bytes, long
    /// names, 64 KB TXT), audited offline: every field, optional or not, in both outputs.
    @Test func everyScenarioReportMatchesJSONEncoderByteForByte() async throws {
        let reports = try await Self.reports()
        try #require(reports.count > 30)
        for report in reports {
            #expect(report.jsonLine() == (try Self.foundation(report)), "\(report.domain)")
        }
    }

    /// Every escape JSONEncoder writes, in every kind of string field, and findings with and
    /// without their optional fields.
    @Test func escapesAndOptionalFieldsMatchJSONEncoder() async throws {
        var report = try #require(try await Self.reports().first)
        let controls = String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })
        let odd = "quote \" backslash \\ slash / é 😀 \u{7F}" + controls
        report.domain = odd
        report.domainUnicode = odd
        report.resolver = odd
        report.areas[0].summary = odd
        report.areas[0].records = [odd, "", "plain"]
        report.areas[0].findings = [
            Finding(id: "x.all", severity: .error, title: odd, detail: odd, evidence: [odd, "second line"], rfc: odd, fix: odd),
            Finding(id: "x.none", severity: .info, title: "t", detail: "d"),
        ]
        report.readiness.fromDNS[0].title = odd
        report.readiness.fromDNS[0].state = nil
        report.readiness.cannotCheck[0].requiredBy = []
        #expect(report.jsonLine() == (try Self.foundation(report)))
    }

    /// The parsed records (`areas[].data`), every optional member present and absent.
    @Test func areaDataMatchesJSONEncoder() async throws {
        var report = try #require(try await Self.reports().first)
        let odd = "quote \" backslash \\ é \u{1}"
        let spf = try #require(SPFData(record: "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com ~all exp=why.%{d} -a/24"))
        report.areas[0].data = AreaData(
            spf: spf,
            dmarc: DMARCData(record: try DMARCRecord.parse("v=DMARC1; p=reject; rua=mailto:d@example.com"), domain: odd),
            mx: [MXHost(preference: 10, exchange: odd, addresses: ["192.0.2.1", "2001:db8::1"]), MXHost(preference: 0, exchange: ".", addresses: [])],
            dkim: [
                DKIMKeyData(selector: odd, record: try DKIMKeyRecord.parse(
                    "v=DKIM1; k=rsa; t=y:s; h=sha256; s=email; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkFgqwxeljObSFhFaY0itg1tQKCTODzH5VEKZKLAU7O2XjQIqDiygR9hbVLfCy9u1vpfhkP24uoIDMvVdxAb6PoiSTa5qhvLvmJOUdLN/U/pYopw/Nj+UnlA5N0kwh9wmAkNyi3AeBJ8BV/Ye2glncJ7iIPadHPnmDFgX10Kn7RuMH9O94Jr45zyqZvqZHlI7uddrnV7RMXzy9QOjofPNryTJ2VHa1z0Qzy+/4bI9DaMnRKjcgI3LPkKkdRAlbUflm8QwVOvbWmdDxwfwDpyZ2glkQ0DvySn4E7LKAJTn8vV5fu8Umu/ImZ4GJMlQ49STxqPpTyD9luo8uyXY75ffcwIDAQAB")),
                DKIMKeyData(selector: "s2", record: try DKIMKeyRecord.parse("v=DKIM1; k=ed25519; p=")),
            ])
        report.areas[1].data = AreaData()
        #expect(report.jsonLine() == (try Self.foundation(report)))
    }
}

/// The DNSSEC area's `dnssec[]` answers, written by `jsonLine()` as `JSONEncoder` writes them.
@Suite struct DNSSECJSONLineTests {
    @Test func validatedAnswersMatchJSONEncoder() async throws {
        let directory = try await SignedTree.directory()
        var files: [String] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".zone") {
            files.append(directory + "/" + file)
        }
        let zone = try ZoneResolver(zoneFiles: files.filter { !$0.hasSuffix("/root.zone") })
            .records + ZoneResolver.readZoneFile(directory + "/root.zone", origin: .root)
        let resolver = ZoneResolver(records: zone)
        let validator = DNSSECValidator(source: resolver, trustAnchors: try await SignedTree.anchors())
        let auditor = Auditor(resolver: resolver, options: .init(deadline: .seconds(10), dnssecValidator: validator))
        for domain in ["example.test", "expired.test", "optout.test"] {
            let report = await auditor.audit(try DomainName(domain))
            let area = try #require(report.areas.first { $0.area == .dnssec })
            #expect(area.dnssec?.isEmpty == false)
            #expect(report.jsonLine() == (try JSONLineTests.foundation(report)), "\(domain)")
        }
    }
}

/// The live checks' data (`data.mtaSts`, `data.mxTLS`), written by `jsonLine()` as `JSONEncoder`
/// writes them.
@Suite struct TransportJSONLineTests {
    @Test func theFetchedPolicyAndTheMXProbesMatchJSONEncoder() async throws {
        var report = try #require(try await JSONLineTests.reports().first)
        var fetch = DNSAudit.MTASTSPolicyFetch(url: "https://mta-sts.example.test/.well-known/mta-sts.txt")
        fetch.httpStatus = 200
        fetch.contentType = "text/plain; charset=\"utf-8\""
        fetch.bodyBytes = 77
        fetch.tlsVersion = "TLSv1.3"
        fetch.policy = MTASTSPolicy(parsing: Array("version: STSv1\nmode: testing\nmx: *.example.test\nmax_age: 86400\n".utf8))
        let hosts = [try DomainName("mx.example.test"), try DomainName("a.b.example.test")]
        let mtaSts = DNSAudit.MTASTSPolicyData(fetch, mxHosts: hosts)
        let mxTLS = [
            MXTLSData(
                host: "mx.example.test", reached: true, startTLS: true, tlsVersion: "TLSv1.3", certificateValid: false,
                certificateProblem: "hostname mismatch \"é\"", dane: "match", daneMatched: "3 1 1 00ff", failure: nil, cached: true,
                milliseconds: 32),
            MXTLSData(
                host: "a.b.example.test", reached: false, startTLS: nil, tlsVersion: nil, certificateValid: nil,
                certificateProblem: nil, dane: nil, daneMatched: nil, failure: "connect: refused\n", cached: false, milliseconds: 0),
        ]
        for index in report.areas.indices {
            switch report.areas[index].area {
            case .mtaSts: report.areas[index].data = AreaData(mtaSts: mtaSts)
            case .mx:
                var data = report.areas[index].data ?? AreaData()
                data.mxTLS = mxTLS
                report.areas[index].data = data
            default: break
            }
        }
        let line = report.jsonLine()
        #expect(line == (try JSONLineTests.foundation(report)))
        #expect(line.contains("\"mxCovered\"") && line.contains("\"daneMatched\""))
    }
}
