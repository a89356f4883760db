import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// DNAME (RFC 6672) live and offline: Knot serving Tests/Fixtures/dns/dname synthesises CNAMEs
/// for names below a DNAME's owner, and `ZoneResolver` reading the same files must answer alike
/// (issue 13: `--zone` lost every record under a renamed tree).
@Suite("DNAME: Knot and the zone-file reader agree")
struct DNAMEIntegrationTests {
    static let directory = KnotServer.fixtures("dns/dname")
    static let files = [directory + "/dname.test.zone", directory + "/moved.test.zone"]

    static func withServer<T>(_ body: (KnotServer) async throws -> T) async throws -> T {
        try await KnotServer.with(zoneDirectory: directory, body)
    }

    /// A name of two 40-octet labels: below `long.dname.test` it renames to more than 255 octets.
    static let overflowing = String(repeating: "a", count: 40) + "." + String(repeating: "b", count: 40) + ".long.dname.test"

    static let questions: [(String, RecordType)] = [
        ("mail.old.dname.test", .txt), ("_dmarc.mail.old.dname.test", .txt), ("mail.old.dname.test", .mx),
        ("mail.old.dname.test", .a), ("mail.old.dname.test", .cname), ("nothing.old.dname.test", .txt),
        ("old.dname.test", .dname), ("old.dname.test", .txt), ("old.dname.test", .a), ("alias.dname.test", .txt),
        ("mail.away.dname.test", .txt), ("_dmarc.mail.away.dname.test", .txt), ("nothing.away.dname.test", .txt),
        ("x.long.dname.test", .txt),
    ]

    @Test func theZoneFileReaderKeepsDNAMERecords() throws {
        let records = try ZoneResolver.readZoneFile(Self.files[0])
        let dnames = records.filter { $0.type == .dname }
        #expect(dnames.count == 3)
        let old = try #require(dnames.first { $0.name == (try? DomainName("old.dname.test")) })
        #expect(old.data == .dname(try DomainName("new.dname.test")))
        #expect(old.ttl == 600)
    }

    @Test func theServersAnswerCarriesTheDNAMEAndLDNSResolverFollowsIt() async throws {
        try await Self.withServer { server in
            let response = try await server.resolver().query(try DomainName("_dmarc.mail.old.dname.test"), .txt)
            #expect(response.outcome == .answer)
            #expect(response.txt.map(\.joined) == ["v=DMARC1; p=reject; rua=mailto:dmarc@dname.test"])
            #expect(response.cnameChain == [try DomainName("_dmarc.mail.new.dname.test")])
            let owner = try await server.resolver().query(try DomainName("old.dname.test"), .dname)
            #expect(owner.records.map(\.data) == [.dname(try DomainName("new.dname.test"))])
            #expect(owner.records.first?.ttl == 600)
            let moved = try await server.resolver().query(try DomainName("mail.away.dname.test"), .txt)
            #expect(moved.txt.map(\.joined) == ["v=spf1 ip4:198.51.100.0/24 -all"])
        }
    }

    @Test func ZoneResolverAgreesWithTheServer() async throws {
        let zone = try ZoneResolver(zoneFiles: Self.files)
        try await Self.withServer { server in
            let resolver = server.resolver()
            for (text, type) in Self.questions {
                let question = DNSQuestion(try DomainName(dnsName: text), type)
                let live = try await resolver.query(question)
                let offline = try await zone.query(question)
                #expect(live.outcome == offline.outcome, "\(question)")
                #expect(Set(live.records.map(\.data)) == Set(offline.records.map(\.data)), "\(question)")
                #expect(live.records.map(\.ttl).sorted() == offline.records.map(\.ttl).sorted(), "\(question)")
                #expect(live.cnameChain == offline.cnameChain, "\(question)")
                #expect(live.negativeTTL == offline.negativeTTL, "\(question)")
            }
        }
    }

    /// RFC 6672 §2.2: a substitution longer than 255 octets is YXDOMAIN. Offline that is thrown as
    /// a server's YXDOMAIN would be. Knot 3.2.6 answers NXDOMAIN instead, with the DNAME and no
    /// CNAME (a newer Knot or another server may send YXDOMAIN): either way LDNSResolver must not
    /// take the DNAME for an answer or invent a chain.
    @Test func anOverflowingSubstitutionIsYXDOMAINOffline() async throws {
        let zone = try ZoneResolver(zoneFiles: Self.files)
        let question = DNSQuestion(try DomainName(Self.overflowing), .txt)
        let offline = await #expect(throws: DNSError.self) { try await zone.query(question) }
        #expect(offline?.kind == .otherResponseCode)
        #expect(offline?.rcode == .yxDomain)
        try await Self.withServer { server in
            switch await Self.ask(server.resolver(), question) {
            case .success(let live):
                #expect(live.outcome == .nxdomain)
                #expect(live.records.isEmpty)
                #expect(live.cnameChain.isEmpty)
            case .failure(let error):
                #expect(error.kind == .otherResponseCode)
                #expect(error.rcode == .yxDomain)
            }
        }
    }

    static func ask(_ resolver: LDNSResolver, _ question: DNSQuestion) async -> Result<DNSResponse, DNSError> {
        do throws(DNSError) {
            return .success(try await resolver.query(question))
        } catch {
            return .failure(error)
        }
    }
}
