import DNSCore
import Foundation
import Testing

@Suite struct DomainNameTests {
    @Test(arguments: ["example.com", "EXAMPLE.com.", "_dmarc.example.com", "s1._domainkey.mail-1.example.co.uk", "a"])
    func acceptsHostNames(_ text: String) throws {
        let name = try DomainName(text)
        #expect(name.description == (text.hasSuffix(".") ? String(text.dropLast()) : text))
    }

    @Test func comparesCaseInsensitivelyAndToleratesTheTrailingDot() throws {
        #expect(try DomainName("Example.COM.") == DomainName("example.com"))
        #expect(Set([try DomainName("A.b"), try DomainName("a.B.")]).count == 1)
    }

    @Test func comparesOctetsNotUnicodeEquivalence() throws {
        // RFC 4343 §3: labels compare octet by octet, only ASCII letters case-insensitively.
        // NFC and NFD "é" are equal as Swift Strings but different labels on the wire.
        let composed = try DomainName(labels: ["caf\u{E9}", "example"])
        let decomposed = try DomainName(labels: ["cafe\u{301}", "example"])
        #expect(composed != decomposed)
        #expect(Set([composed, decomposed]).count == 2)
        #expect(try DomainName(labels: ["WWW", "caf\u{E9}", "EXAMPLE"]).isSubdomain(of: composed))
        #expect(!(try DomainName(labels: ["www", "cafe\u{301}", "example"])).isSubdomain(of: composed))
        // Equal names hash alike, whatever their case.
        var seen: [DomainName: Int] = [:]
        for text in ["a.B.example", "A.b.EXAMPLE", "a.b.example."] { seen[try DomainName(text), default: 0] += 1 }
        #expect(seen.count == 1 && seen.values.first == 3)
        #expect(try DomainName("a.example") < DomainName("b.example"))
        #expect(try DomainName("z.a.example") < DomainName("b.example"), "canonical order compares from the right")
    }

    @Test func rejectsALabelLongerThan63Octets() throws {
        let long = String(repeating: "a", count: 64)
        let error = #expect(throws: DomainNameError.self) { try DomainName("\(long).example.com") }
        #expect(error?.reason == .labelTooLong(64))
        #expect(error?.offset == 0)
        #expect(try DomainName(String(repeating: "a", count: 63) + ".com").labels.count == 2)
    }

    @Test func rejectsANameLongerThan253Octets() throws {
        let label = String(repeating: "a", count: 63)
        let name = [label, label, label, String(repeating: "b", count: 62)].joined(separator: ".")
        #expect(name.utf8.count == 254)
        let error = #expect(throws: DomainNameError.self) { try DomainName(name) }
        #expect(error?.reason == .nameTooLong(254))
        #expect(try DomainName(String(name.dropFirst())).labels.count == 4)
    }

    @Test(arguments: [
        ("exa mple.com", DomainNameError.Reason.invalidCharacter(" "), 3),
        ("example..com", .emptyLabel, 8),
        (".example.com", .emptyLabel, 0),
        ("-example.com", .hyphenAtLabelEdge, 0),
        ("example-.com", .hyphenAtLabelEdge, 7),
        ("bücher.de", .nonASCII, 1),
        ("", .empty, 0),
    ])
    func namesTheProblemAndWhereItIs(text: String, reason: DomainNameError.Reason, offset: Int) {
        let error = #expect(throws: DomainNameError.self) { try DomainName(text) }
        #expect(error?.reason == reason)
        #expect(error?.offset == offset)
        #expect(error?.description.contains("offset \(offset)") == true)
    }

    @Test func lenientNamesAcceptAnyLabelTheDNSCarries() throws {
        let name = try DomainName(dnsName: "foo+bar.example.com")
        #expect(name.labels.first == "foo+bar")
        #expect(throws: DomainNameError.self) { try DomainName("foo+bar.example.com") }
    }

    @Test func walksParentsAndSubdomains() throws {
        let name = try DomainName("a.b.example.com")
        #expect(name.parent == (try DomainName("b.example.com")))
        #expect(name.isSubdomain(of: try DomainName("EXAMPLE.com")))
        #expect(!name.isSubdomain(of: try DomainName("ample.com")))
        #expect(name.suffix(labels: 2) == (try DomainName("example.com")))
        #expect(DomainName.root.parent == nil)
        #expect(try name.prepending("_dmarc").description == "_dmarc.a.b.example.com")
    }

    /// `prepending` follows the rules of `init(dnsName:)` for what it adds.
    @Test func prependingChecksWhatItAdds() throws {
        let name = try DomainName("Example.COM")
        let key = try name.prepending("Selector1._domainkey")
        #expect(key.labels == ["Selector1", "_domainkey", "Example", "COM"])
        #expect(key == (try DomainName(dnsName: "selector1._DOMAINKEY.example.com")))
        #expect(try DomainName.root.prepending("a.b") == (try DomainName("a.b")))
        #expect(throws: DomainNameError.self) { try name.prepending("") }
        #expect(throws: DomainNameError.self) { try name.prepending("a..b") }
        #expect(throws: DomainNameError.self) { try name.prepending(String(repeating: "x", count: 64)) }
        // 3 × 63-octet labels, a 49-octet one and "Example.COM", with the dots: 253 octets, the limit.
        let long = (0..<3).map { _ in String(repeating: "y", count: 63) }.joined(separator: ".")
        #expect(try name.prepending(long + "." + String(repeating: "z", count: 49)).description.utf8.count == 253)
        #expect(throws: DomainNameError.self) { try name.prepending(long + "." + String(repeating: "z", count: 50)) }
    }
}

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("2001:db8::1", "2001:db8::1"), ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"), ("::", "::"), ("::1", "::1"),
        ("::ffff:192.0.2.1", "::ffff:c000:201"), ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:0:0:1::1", "2001:0:0:1::1"), ("fe80::", "fe80::"),
    ])
    func parsesAndPrintsIPv6(text: String, canonical: String) throws {
        let address = try #require(IPv6Address(text))
        #expect(address.description == canonical)
        #expect(IPv6Address(canonical) == address)
    }

    @Test(arguments: ["2001:db8::1::1", "12345::", "1:2:3:4:5:6:7:8:9", "::g", ":", "1:2:3:4:5:6:7", "::1.2.3", ""])
    func rejectsMalformedIPv6(_ text: String) {
        #expect(IPv6Address(text) == nil)
    }

    @Test(arguments: ["256.0.0.1", "1.2.3", "01.2.3.4", "1.2.3.4.5", "a.b.c.d", "1..2.3", " 1.2.3.4"])
    func rejectsMalformedIPv4(_ text: String) {
        #expect(IPv4Address(text) == nil)
    }

    @Test func unmapsIPv4MappedIPv6() throws {
        let mapped = try #require(IPAddress("::ffff:192.0.2.1"))
        #expect(mapped.unmapped == IPAddress("192.0.2.1"))
        #expect(IPAddress("[2001:db8::1]") == IPAddress("2001:db8::1"))
    }

    @Test func buildsReverseNames() throws {
        #expect(IPAddress("192.0.2.1")!.reverseName.description == "1.2.0.192.in-addr.arpa")
        #expect(IPAddress("2001:db8::1")!.reverseName.description.hasPrefix("1.0.0.0.0.0.0.0"))
        #expect(IPAddress("2001:db8::1")!.reverseName.description.hasSuffix("8.b.d.0.1.0.0.2.ip6.arpa"))
    }
}

@Suite struct DNSQuestionTests {
    @Test func equalQuestionsAreOneKeyWhateverTheCaseAndAfterAChange() throws {
        let lower = DNSQuestion(try DomainName("example.com"), .txt)
        let upper = DNSQuestion(try DomainName("EXAMPLE.com"), .txt)
        #expect(lower == upper)
        #expect(lower.hashValue == upper.hashValue)
        #expect(lower != DNSQuestion(try DomainName("example.com"), .mx))
        var changed = DNSQuestion(try DomainName("other.example"), .mx)
        let table = [lower: "txt"]
        #expect(table[changed] == nil)
        changed.name = try DomainName("Example.Com")
        changed.type = .txt
        #expect(table[changed] == "txt")
    }

    @Test func encodesAndDecodesItsNameAndType() throws {
        let question = DNSQuestion(try DomainName("_dmarc.example.com"), .txt)
        let data = try JSONEncoder().encode(question)
        #expect(String(decoding: data, as: UTF8.self).contains("\"name\":\"_dmarc.example.com\""))
        #expect(try JSONDecoder().decode(DNSQuestion.self, from: data) == question)
    }
}

/// ``DNSError`` in reports: `{"kind", "name", "type", "detail"}`, read back to the same error.
@Suite struct DNSErrorCodingTests {
    static let question = DNSQuestion(try! DomainName("_dmarc.example.com"), .txt)

    @Test(arguments: [
        DNSError(.timeout, question: question),
        DNSError(.network, question: question, server: "127.0.0.1:9", detail: "connection refused (nothing listens on 127.0.0.1:9)"),
        DNSError(.serverFailure, question: question, server: "zone files", detail: "injected failure at _dmarc.example.com."),
        DNSError(.otherResponseCode, question: question, server: "[2001:db8::1]:53", rcode: .notImplemented),
        DNSError(.otherResponseCode, question: question, rcode: ResponseCode(rawValue: 23), detail: "TCP: odd"),
        DNSError(.otherResponseCode, question: question),
        DNSError(.outsideZoneData, question: question, detail: "example.com is outside the zone files (from x)"),
    ])
    func roundTripsThroughItsJSONForm(error: DNSError) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data = try encoder.encode(error)
        let expected = #"{"detail":"\#(error.description)","kind":"\#(error.kind.rawValue)","name":"_dmarc.example.com","type":"TXT"}"#
        #expect(String(decoding: data, as: UTF8.self) == expected)
        #expect(try JSONDecoder().decode(DNSError.self, from: data) == error)
    }

    @Test func aDetailThatIsNotTheSentenceOfItsKindIsRejected() {
        let json = #"{"detail":"DNS _dmarc.example.com. TXT: timed out","kind":"refused","name":"_dmarc.example.com","type":"TXT"}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(DNSError.self, from: Data(json.utf8)) }
    }
}
