import DNSCore
import MailAuthCore
import SPF
import TestSupport
import Testing

@Suite struct SPFRecordParsingTests {
    @Test func parsesEveryMechanismAndModifier() throws {
        let record = try SPFRecord.parse(
            "v=spf1 +all -include:_spf.example.com ~a ?a:mail.example.com/24//64 mx/26 mx:example.net//48 ptr "
                + "ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 exists:%{ir}.%{l1r+-}._spf.%{d} "
                + "redirect=_spf.example.com exp=explain._spf.%{d} foo=bar")
        #expect(record.directives.count == 11)
        #expect(record.directives[0].qualifier == .pass && record.directives[0].qualifierWritten)
        #expect(record.directives[1].qualifier == .fail)
        #expect(record.directives[2].mechanism == .a(nil, DualCIDR()))
        guard case .a(let spec, let cidr) = record.directives[3].mechanism else { Issue.record("not a"); return }
        #expect(spec?.text == "mail.example.com")
        #expect(cidr == DualCIDR(ipv4: 24, ipv6: 64))
        #expect(record.directives[4].mechanism == .mx(nil, DualCIDR(ipv4: 26)))
        guard case .mx(_, let mxCIDR) = record.directives[5].mechanism else { Issue.record("not mx"); return }
        #expect(mxCIDR == DualCIDR(ipv6: 48))
        #expect(record.directives[8].mechanism == .ip4(IPNetwork("192.0.2.0/24")!))
        #expect(record.directives[9].mechanism == .ip6(IPNetwork("2001:db8::/32")!))
        #expect(record.redirect?.value.text == "_spf.example.com")
        #expect(record.explanation?.value.hasMacros == true)
        #expect(record.unknownModifiers.map(\.name) == ["foo"])
    }

    @Test func versionIsCaseInsensitiveAndNeedsASpaceOrTheEnd() {
        #expect(SPFRecord.isSPFRecord(Array("V=SPF1 -all".utf8)))
        #expect(SPFRecord.isSPFRecord(Array("v=spf1".utf8)))
        #expect(!SPFRecord.isSPFRecord(Array("v=spf10 -all".utf8)))
        #expect(!SPFRecord.isSPFRecord(Array("v=spf1\t-all".utf8)))
        #expect(!SPFRecord.isSPFRecord(Array("spf1".utf8)))
    }

    @Test func mechanismNamesAreCaseInsensitive() throws {
        let record = try SPFRecord.parse("v=spf1 IP4:192.0.2.1 Include:example.com -ALL")
        #expect(record.directives.map(\.mechanism.name) == ["ip4", "include", "all"])
    }

    struct Malformed: Sendable, CustomTestStringConvertible {
        var record: String
        var offset: Int
        var message: String
        var testDescription: String { record }
    }

    static let malformed: [Malformed] = [
        Malformed(record: "v=spf1 ip4:192.0.2.0/33 -all", offset: 21, message: "CIDR length 33 exceeds 32"),
        Malformed(record: "v=spf1 ip6:2001:db8::/129", offset: 22, message: "exceeds 128"),
        Malformed(record: "v=spf1 ip4:192.0.2.0/024", offset: 21, message: "leading zeros"),
        Malformed(record: "v=spf1 ip4:192.0.02.1", offset: 11, message: "not an IPv4 address"),
        Malformed(record: "v=spf1 ip6:2001:db8:::1", offset: 11, message: "not an IPv6 address"),
        Malformed(record: "v=spf1 ip6:1:2:3:4:5:6:7:8:9", offset: 11, message: "not an IPv6 address"),
        Malformed(record: "v=spf1 ip6:ffff:1.2.3.4.5", offset: 11, message: "not an IPv6 address"),
        Malformed(record: "v=spf1 ip4:", offset: 11, message: "empty argument"),
        Malformed(record: "v=spf1 incude:example.com -all", offset: 7, message: "did you mean \"include\""),
        Malformed(record: "v=spf1 a:museum", offset: 9, message: "domain-spec must end"),
        Malformed(record: "v=spf1 a:example.123", offset: 17, message: "not a valid top-level label"),
        Malformed(record: "v=spf1 exists:%{x}.example.com", offset: 16, message: "unknown macro letter"),
        Malformed(record: "v=spf1 exists:%{d0}.example.com", offset: 17, message: "nonzero"),
        Malformed(record: "v=spf1 exists:%{c}.example.com", offset: 16, message: "only in explanation"),
        Malformed(record: "v=spf1 exists:%{d", offset: 14, message: "unterminated"),
        Malformed(record: "v=spf1 a:50%.example.com", offset: 11, message: "'%' must be followed"),
        Malformed(record: "v=spf1 -redirect=example.com", offset: 7, message: "no qualifier"),
        Malformed(record: "v=spf1 redirect=a.example.com redirect=b.example.com", offset: 30, message: "second redirect"),
        Malformed(record: "v=spf1 exp=a.example.com exp=b.example.com", offset: 25, message: "second exp"),
        Malformed(record: "v=spf1 all:foo", offset: 10, message: "takes no argument"),
        Malformed(record: "v=spf1 a:ctrl.example.com\rptr -all", offset: 25, message: "not allowed"),
        Malformed(record: "v=spf1 \u{80}a -all", offset: 7, message: "non-ASCII"),
        Malformed(record: "spf1 -all", offset: 0, message: "starts with"),
    ]

    @Test(arguments: malformed)
    func malformedRecordsGiveAnOffsetAndTheTerm(_ bad: Malformed) {
        let error = #expect(throws: SyntaxError.self) { try SPFRecord.parse(bad.record) }
        #expect(error?.offset == bad.offset, "\(error?.description ?? "")")
        #expect(error?.message.contains(bad.message) == true, "\(error?.description ?? "")")
        #expect(error?.pointer.contains("^") == true)
    }

    @Test func errorPointsUnderTheOffendingByte() throws {
        let error = #expect(throws: SyntaxError.self) { try SPFRecord.parse("v=spf1 ip4:192.0.2.0/33 -all") }
        #expect(error?.term == "ip4:192.0.2.0/33")
        #expect(error?.pointer == "v=spf1 ip4:192.0.2.0/33 -all\n                     ^ CIDR length 33 exceeds 32")
    }

    @Test func trailingAndRepeatedSpacesAreAllowed() throws {
        #expect(try SPFRecord.parse("v=spf1  a   -all  ").directives.count == 2)
    }

    /// Random and mutated inputs: the parser must return or throw, never trap or hang.
    @Test func arbitraryBytesNeverCrash() {
        var generator = SeededRandom(seed: 7208)
        let alphabet = Array("v=spf1 ipa4m6x:/%{}.-+~?_,=rlSDIPVH0123456789abcdef".utf8) + [0x00, 0x0D, 0x80, 0xFF]
        let seeds = ["v=spf1 ip6:2001:db8::/32 a:%{d}/24//64 -all", "v=spf1 exists:%{ir}.%{l1r+-}.%{d} ~all"]
        var parsed = 0
        for round in 0..<3_000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = Array("v=spf1 ".utf8) + (0..<Int(generator.next() % 40)).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }
            } else {
                bytes = Array(seeds[round % seeds.count].utf8)
                for _ in 0..<3 {
                    let index = Int(generator.next() % UInt64(bytes.count))
                    bytes[index] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                }
            }
            if (try? SPFRecord.parse(bytes: bytes)) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
    }
}


