import DNSAudit
import DNSCore
import Foundation
import Testing

/// The structured records beside the display strings (issue 14): SPF terms, DMARC tags, MX hosts
/// with preference and addresses, DKIM key parameters.
@Suite struct AreaDataTests {
    static func name(_ text: String) throws -> DomainName { try DomainName(dnsName: text) }

    static func zone() throws -> ZoneResolver {
        func txt(_ owner: String, _ text: String) throws -> ResourceRecord {
            ResourceRecord(name: try name(owner), data: .txt(TXTData(text: text)))
        }
        return ZoneResolver(records: [
            try txt("example.com", "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com ~all"),
            try txt("_spf.example.com", "v=spf1 a/24 redirect=_spf2.example.com"),
            try txt("_spf2.example.com", "v=spf1 -all"),
            try txt("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@example.com; adkim=s"),
            try txt("s1._domainkey.example.com", "v=DKIM1; k=rsa; t=y:s; p=\(AuditorTests.key)"),
            ResourceRecord(name: try name("example.com"), data: .mx(preference: 20, exchange: try name("mx2.example.com"))),
            ResourceRecord(name: try name("example.com"), data: .mx(preference: 10, exchange: try name("mx1.example.com"))),
            ResourceRecord(name: try name("mx1.example.com"), data: .a(try #require(IPv4Address("192.0.2.10")))),
            ResourceRecord(name: try name("mx2.example.com"), data: .a(try #require(IPv4Address("192.0.2.20")))),
        ])
    }

    @Test func eachAreaCarriesItsRecordsParsed() async throws {
        let report = await Auditor(resolver: try Self.zone(), options: .init(selectors: ["s1"])).audit(try Self.name("example.com"))
        let spf = try #require(report[.spf]?.data?.spf)
        #expect(spf.record == "v=spf1 ip4:192.0.2.0/24 include:_spf.example.com ~all")
        #expect(spf.terms.map(\.name) == ["ip4", "include", "all"])
        #expect(spf.terms.map(\.value) == ["192.0.2.0/24", "_spf.example.com", nil])
        #expect(spf.terms.map(\.qualifier) == ["+", "+", "~"])
        #expect(spf.terms.allSatisfy { $0.kind == "mechanism" })

        let dmarc = try #require(report[.dmarc]?.data?.dmarc)
        #expect(dmarc.domain == "example.com")
        #expect(dmarc.tags.map(\.name) == ["v", "p", "rua", "adkim"])
        #expect(dmarc.tags.first { $0.name == "p" }?.value == "quarantine")

        let mx = try #require(report[.mx]?.data?.mx)
        #expect(mx.map(\.preference) == [10, 20])
        #expect(mx.map(\.exchange) == ["mx1.example.com", "mx2.example.com"])
        #expect(mx.map(\.addresses) == [["192.0.2.10"], ["192.0.2.20"]])

        let dkim = try #require(report[.dkim]?.data?.dkim?.first { $0.selector == "s1" })
        #expect(dkim.keyType == "rsa" && dkim.bits == 2048 && dkim.testing && dkim.strict && !dkim.revoked)
    }

    @Test func modifiersAreTermsToo() throws {
        let spf = try #require(SPFData(record: "v=spf1 a/24 redirect=_spf2.example.com"))
        #expect(spf.terms.map(\.kind) == ["mechanism", "modifier"])
        #expect(spf.terms.map(\.value) == ["/24", "_spf2.example.com"])
        #expect(spf.terms[1].qualifier == nil)
        #expect(SPFData(record: "v=spf1 incude:x.example") == nil, "a record that does not parse has no terms")
    }
}
