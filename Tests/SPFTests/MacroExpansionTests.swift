import DNSCore
import SPF
import Testing

/// The examples of RFC 7208 §7.4.
@Suite struct MacroExpansionTests {
    static let values = MacroValues(
        sender: "strong-bad@email.example.com", localPart: "strong-bad", senderDomain: "email.example.com",
        domain: "email.example.com", ip: IPAddress("192.0.2.3")!, helo: "mx.example.org")

    static let examples: [(String, String)] = [
        ("%{s}", "strong-bad@email.example.com"),
        ("%{o}", "email.example.com"),
        ("%{d}", "email.example.com"),
        ("%{d4}", "email.example.com"),
        ("%{d3}", "email.example.com"),
        ("%{d2}", "example.com"),
        ("%{d1}", "com"),
        ("%{dr}", "com.example.email"),
        ("%{d2r}", "example.email"),
        ("%{l}", "strong-bad"),
        ("%{l-}", "strong.bad"),
        ("%{lr}", "strong-bad"),
        ("%{lr-}", "bad.strong"),
        ("%{l1r-}", "strong"),
        ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
        ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
        ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
        ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
        ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
        ("%{S}", "strong-bad%40email.example.com"),
        ("%%%_%-", "% %20"),
    ]

    @Test(arguments: examples)
    func rfcExample(_ macro: String, _ expected: String) throws {
        #expect(try MacroString.parseExplanation(macro).expand(Self.values) == expected)
    }

    @Test func ipv6IsExpandedAsDottedNibbles() throws {
        var values = Self.values
        values.ip = IPAddress("2001:db8::cb01")!
        let expanded = try MacroString.parseExplanation("%{ir}.%{v}._spf.%{d2}").expand(values)
        #expect(expanded == "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com")
        #expect(try MacroString.parseExplanation("%{c}").expand(values) == "2001:db8::cb01")
    }

    @Test func explanationTextMayUseCRAndT() throws {
        var values = Self.values
        values.receiver = "mx.receiver.example"
        values.timestamp = 1_400_000_000
        let text = try MacroString.parseExplanation("%{c} refused by %{r} at %{t}").expand(values)
        #expect(text == "192.0.2.3 refused by mx.receiver.example at 1400000000")
    }
}
