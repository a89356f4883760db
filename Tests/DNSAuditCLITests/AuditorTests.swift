import DNSAudit
import DNSCore
import MailAuthCore
import Testing
import Foundation
import TestSupport

/// The audit engine on in-memory zones (no server): selector discovery and the deadline.
@Suite struct AuditorTests {
    static func name(_ text: String) -> DomainName { try! DomainName(dnsName: text) }
    /// An RSA-2048 public key (openssl genrsa 2048).
    static let key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkFgqwxeljObSFhFaY0itg1tQKCTODzH5VEKZKLAU7O2XjQIqDiygR9hbVLfCy9u1vpfhkP24uoID"
        + "MvVdxAb6PoiSTa5qhvLvmJOUdLN/U/pYopw/Nj+UnlA5N0kwh9wmAkNyi3AeBJ8BV/Ye2glncJ7iIPadHPnmDFgX10Kn7RuMH9O94Jr45zyqZvqZHlI7uddr"
        + "nV7RMXzy9QOjofPNryTJ2VHa1z0Qzy+/4bI9DaMnRKjcgI3LPkKkdRAlbUflm8QwVOvbWmdDxwfwDpyZ2glkQ0DvySn4E7LKAJTn8vV5fu8Umu/ImZ4GJMlQ"
        + "49STxqPpTyD9luo8uyXY75ffcwIDAQAB"

    func zone(_ extra: [ResourceRecord] = []) -> ZoneResolver {
        ZoneResolver(records: [
            ResourceRecord(name: Self.name("example.com"), data: .txt(TXTData(text: "v=spf1 include:sendgrid.net -all"))),
            ResourceRecord(name: Self.name("sendgrid.net"), data: .txt(TXTData(text: "v=spf1 ip4:198.51.100.0/24 -all"))),
            ResourceRecord(name: Self.name("_dmarc.example.com"), data: .txt(TXTData(text: "v=DMARC1; p=reject; rua=mailto:d@example.com"))),
        ] + extra)
    }

    @Test func findsAKeyAtASelectorInferredFromTheSPFProvider() async throws {
        // smtpapi is SendGrid's selector and not a common one: only the include of sendgrid.net leads there.
        let key = ResourceRecord(
            name: Self.name("smtpapi._domainkey.example.com"), data: .txt(TXTData(text: "v=DKIM1; k=rsa; p=\(Self.key)")))
        let report = await Auditor(resolver: zone([key])).audit(Self.name("example.com"))
        let dkim = try #require(report[.dkim])
        #expect(dkim.summary.contains("smtpapi"), "\(dkim.summary)")
        #expect(dkim.records.contains { $0.contains("(SendGrid)") }, "\(dkim.records)")
        #expect(!dkim.findings.contains { $0.id == "dkim.selector-unknown" })
        #expect(report.readiness.fromDNS.first { $0.id == "bulk.dkim" }?.state == .met)
    }

    @Test func aKeyAtAnUnknownSelectorIsUnknownNotMissing() async throws {
        let key = ResourceRecord(
            name: Self.name("x7f3._domainkey.example.com"), data: .txt(TXTData(text: "v=DKIM1; k=rsa; p=\(Self.key)")))
        let report = await Auditor(resolver: zone([key])).audit(Self.name("example.com"))
        let ids = Set(report[.dkim]?.findings.map(\.id) ?? [])
        #expect(ids.contains("dkim.selector-unknown"))
        #expect(!ids.contains("dkim.no-keys"))
        #expect(report.readiness.fromDNS.first { $0.id == "bulk.dkim" }?.state == .unknown)
        let found = await Auditor(resolver: zone([key]), options: .init(selectors: ["x7f3"])).audit(Self.name("example.com"))
        #expect(found[.dkim]?.summary.contains("x7f3") == true)
    }

    @Test func theDMARCAreaShowsEachNameTheWalkAskedAndWhatItGave() async throws {
        let report = await Auditor(resolver: zone()).audit(Self.name("mail.example.com"))
        let records = try #require(report[.dmarc]).records
        #expect(records == [
            "RFC 9989 walk: _dmarc.mail.example.com: NXDOMAIN",
            "RFC 9989 walk: _dmarc.example.com: v=DMARC1; p=reject; rua=mailto:d@example.com",
            "RFC 9989 walk: _dmarc.com: NXDOMAIN",
        ])
    }

    @Test func anAuditThatCannotFinishIsIncompleteWithinItsDeadline() async throws {
        struct Hanging: DNSResolver {
            var resolverDescription: String { "hanging" }
            func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
                try? await Task.sleep(for: .seconds(3600))
                throw DNSError(.timeout, question: question)
            }
        }
        let started = ContinuousClock.now
        let report = await Auditor(resolver: Hanging(), options: .init(deadline: .milliseconds(300))).audit(Self.name("example.com"))
        #expect(ContinuousClock.now - started < .seconds(30), "bounded by the deadline, not the hanging resolver")
        #expect(report.status == .incomplete)
        #expect(report.isIncomplete)
        #expect(!report.findings.contains { ["spf.no-record", "dmarc.no-record", "dkim.no-keys", "mx.none"].contains($0.id) })
    }
}

/// docs/findings.md is the reference for the stable ids: it must list exactly the catalog's.
@Suite struct FindingsDocumentationTests {
    @Test func theFindingsTableListsExactlyTheCatalogIds() throws {
        let path = KnotServer.fixtures("../../docs/findings.md")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // Table rows start with the id in backticks: | `spf.lookup-limit` | error | …
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        })
        let catalog = Set(FindingCatalog.all)
        #expect(documented.subtracting(catalog).isEmpty, "documented but not in the catalog: \(documented.subtracting(catalog).sorted())")
        #expect(catalog.subtracting(documented).isEmpty, "in the catalog but not documented: \(catalog.subtracting(documented).sorted())")
    }
}
