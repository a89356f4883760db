import DNSCore
import Testing

/// DNAME in zone data (RFC 6672): names below the owner are answered through a synthesised CNAME,
/// as an authoritative server answers them.
@Suite struct ZoneResolverDNAMETests {
    static let soa = ResourceRecord(name: name("example.com"), ttl: 100, data: .soa(SOAData(
        primary: name("ns.example.com"), mailbox: name("h.example.com"), serial: 1, refresh: 1, retry: 1, expire: 1,
        minimum: 42)))
    static let dname = ResourceRecord(name: name("old.example.com"), ttl: 600, data: .dname(name("new.example.com")))

    let zone = ZoneResolver(records: [
        Self.soa,
        Self.dname,
        ResourceRecord(name: name("old.example.com"), data: .txt(TXTData(text: "owner's own record"))),
        // Occluded by the DNAME (RFC 6672 §2.4): never answered.
        ResourceRecord(name: name("mail.old.example.com"), data: .txt(TXTData(text: "occluded"))),
        ResourceRecord(name: name("mail.new.example.com"), data: .txt(TXTData(text: "v=spf1 ip4:192.0.2.0/24 -all"))),
        ResourceRecord(name: name("_dmarc.mail.new.example.com"), data: .txt(TXTData(text: "v=DMARC1; p=reject"))),
        ResourceRecord(name: name("www.new.example.com"), data: .a(IPv4Address("192.0.2.7")!)),
        ResourceRecord(name: name("alias.example.com"), data: .cname(name("www.old.example.com"))),
        // A DNAME below another DNAME's owner is occluded too: the one nearer the root applies.
        ResourceRecord(name: name("sub.old.example.com"), data: .dname(name("elsewhere.example.com"))),
        ResourceRecord(name: name("a.sub.new.example.com"), data: .a(IPv4Address("192.0.2.8")!)),
        // Two DNAMEs pointing at each other, and one that renames into its own subtree.
        ResourceRecord(name: name("ping.example.com"), data: .dname(name("pong.example.com"))),
        ResourceRecord(name: name("pong.example.com"), data: .dname(name("ping.example.com"))),
        ResourceRecord(name: name("grow.example.com"), data: .dname(name("x.grow.example.com"))),
        ResourceRecord(name: name("long.example.com"), data: .dname(Self.longTarget)),
    ])

    /// A target of 240 octets: any name of more than two short labels below `long.example.com`
    /// becomes longer than 255 octets on the wire.
    static let longTarget = name(Array(repeating: String(repeating: "t", count: 59), count: 4).joined(separator: "."))

    @Test func answersANameBelowTheOwnerThroughTheSynthesisedCNAME() async throws {
        let response = try await zone.query(name("www.old.example.com"), .a)
        #expect(response.outcome == .answer)
        #expect(response.ipv4 == [IPv4Address("192.0.2.7")!])
        #expect(response.cnameChain == [name("www.new.example.com")])
        #expect(response.records.map(\.name) == [name("www.new.example.com")])
    }

    @Test func findsMailRecordsInTheRenamedTree() async throws {
        let spf = try await zone.query(name("mail.old.example.com"), .txt)
        #expect(spf.txt.map(\.joined) == ["v=spf1 ip4:192.0.2.0/24 -all"], "the occluded TXT must not be answered")
        let dmarc = try await zone.query(name("_dmarc.mail.old.example.com"), .txt)
        #expect(dmarc.txt.map(\.joined) == ["v=DMARC1; p=reject"])
        #expect(dmarc.cnameChain == [name("_dmarc.mail.new.example.com")])
    }

    @Test func asksForTheCNAMEGetTheSynthesisedOneWithTheDNAMEsTTL() async throws {
        let response = try await zone.query(name("Mail.old.example.com"), .cname)
        #expect(response.outcome == .answer)
        #expect(response.cnameChain.isEmpty)
        let record = try #require(response.records.first)
        #expect(response.records.count == 1)
        #expect(record.name == name("mail.old.example.com"))
        #expect(record.ttl == 600)
        #expect(record.data == .cname(name("mail.new.example.com")))
        // The owner's labels are replaced; the labels below keep the case they were asked in.
        #expect(response.names.first?.labels == ["Mail", "new", "example", "com"])
    }

    @Test func answersTheOwnerItselfNormally() async throws {
        let dname = try await zone.query(name("old.example.com"), .dname)
        #expect(dname.outcome == .answer)
        #expect(dname.records == [Self.dname])
        #expect(dname.cnameChain.isEmpty)
        let txt = try await zone.query(name("old.example.com"), .txt)
        #expect(txt.txt.map(\.joined) == ["owner's own record"])
        #expect(try await zone.query(name("old.example.com"), .a).outcome == .nodata)
        #expect(try await zone.query(name("old.example.com"), .cname).outcome == .nodata)
    }

    @Test func givesNXDOMAINAndNODATAAtTheTarget() async throws {
        let missing = try await zone.query(name("nothing.old.example.com"), .txt)
        #expect(missing.outcome == .nxdomain)
        #expect(missing.cnameChain == [name("nothing.new.example.com")])
        #expect(missing.negativeTTL == 42)
        let noA = try await zone.query(name("mail.old.example.com"), .a)
        #expect(noA.outcome == .nodata)
        #expect(noA.cnameChain == [name("mail.new.example.com")])
    }

    @Test func followsACNAMEIntoTheRenamedTree() async throws {
        let response = try await zone.query(name("alias.example.com"), .a)
        #expect(response.outcome == .answer)
        #expect(response.cnameChain == [name("www.old.example.com"), name("www.new.example.com")])
    }

    @Test func appliesTheDNAMENearestTheRoot() async throws {
        let response = try await zone.query(name("a.sub.old.example.com"), .a)
        #expect(response.ipv4 == [IPv4Address("192.0.2.8")!])
        #expect(response.cnameChain == [name("a.sub.new.example.com")])
    }

    @Test func reportsDNAMELoopsAndEndlessRenamingAsCNAMELoops() async throws {
        let loop = await #expect(throws: DNSError.self) { try await zone.query(name("a.ping.example.com"), .txt) }
        #expect(loop?.kind == .cnameLoop)
        let growing = await #expect(throws: DNSError.self) { try await zone.query(name("a.grow.example.com"), .txt) }
        #expect(growing?.kind == .cnameLoop)
        #expect(growing?.detail.contains("a.x.x.grow.example.com") == true)
    }

    @Test func aSubstitutionLongerThan255OctetsIsYXDOMAIN() async throws {
        let short = try await zone.query(name("a.long.example.com"), .txt)
        #expect(short.outcome == .nxdomain, "a.<240 octets> still fits")
        let error = await #expect(throws: DNSError.self) {
            try await zone.query(name("aaaaaaaaaa.bbbbbbbbbb.long.example.com"), .txt)
        }
        #expect(error?.kind == .otherResponseCode)
        #expect(error?.rcode == .yxDomain)
        #expect(error?.rcode?.description == "YXDOMAIN")
    }

    @Test func dnameIsAKnownTypeWithANameTarget() {
        #expect(RecordType("dname") == .dname)
        #expect(RecordType.dname.rawValue == 39)
        #expect(RecordType.dname.description == "DNAME")
        #expect(Self.dname.presentation == "old.example.com.\t600\tIN\tDNAME\tnew.example.com.")
    }
}
