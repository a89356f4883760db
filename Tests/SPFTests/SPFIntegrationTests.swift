import DNSCore
import DNSLDNS
import SPF
import TestSupport
import Testing

/// check_host() and the static analysis through `LDNSResolver` against a real authoritative
/// server (Knot) on 127.0.0.1, serving Tests/Fixtures/spf/zones: a 355-byte record split into
/// two character-strings, an include chain across two zones, and a zone that answers SERVFAIL.
/// (voids.test and the reverse zones there are for PyspfInteropTests.)
@Suite("SPF against Knot on loopback", .enabled(if: KnotServer.knotd != nil, "knotd is not installed"))
struct SPFIntegrationTests {
    static let zones = KnotServer.fixtures("spf/zones")

    func withEvaluator<T>(_ body: (SPFEvaluator, KnotServer) async throws -> T) async throws -> T {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"]) { server in
            try await body(SPFEvaluator(resolver: server.resolver(), timeout: .seconds(60)), server)
        }
    }

    @Test func passesThroughAnIncludeChainAcrossZones() async throws {
        try await withEvaluator { spf, _ in
            let outcome = await spf.evaluateMailFrom(ip: IPAddress("192.0.2.130")!, mailFrom: "alice@spf.test", helo: "mx.spf.test")
            #expect(outcome.result == .pass, "\(outcome.trace.rendered())")
            #expect(outcome.matchedTerm == "include:_spf.spf.test")
            #expect(outcome.dnsLookups == 2)
            let first = try #require(outcome.trace.terms.first?.nested.first)
            #expect(first.domain == "_spf.spf.test")
            let deep = try #require(first.terms.first?.nested.first)
            #expect(deep.domain == "deep.spfnet.test")
            #expect(deep.terms.first?.outcome == .match)
            #expect(deep.result == .pass)
        }
    }

    @Test func readsTheRecordPastItsFirst255ByteString() async throws {
        try await withEvaluator { spf, _ in
            let outcome = await spf.evaluateMailFrom(ip: IPAddress("203.0.113.18")!, mailFrom: "alice@spf.test", helo: "mx.spf.test")
            #expect(outcome.result == .pass, "\(outcome.trace.rendered())")
            #expect(outcome.matchedTerm == "ip4:203.0.113.18")
            #expect((outcome.trace.record?.utf8.count ?? 0) > 255)
        }
    }

    @Test func anIPv6ClientFailsWithAVoidLookupForTheHostWithoutAAAA() async throws {
        try await withEvaluator { spf, _ in
            let outcome = await spf.evaluateMailFrom(ip: IPAddress("2001:db8:99::1")!, mailFrom: "alice@spf.test", helo: "mx.spf.test")
            #expect(outcome.result == .fail, "\(outcome.trace.rendered())")
            #expect(outcome.voidLookups == 1)
            #expect(outcome.dnsLookups == 4)
        }
    }

    @Test func aServfailInsideAnIncludeIsTemperror() async throws {
        try await withEvaluator { spf, _ in
            let outcome = await spf.evaluateMailFrom(ip: IPAddress("192.0.2.1")!, mailFrom: "bob@temp.spf.test", helo: "mx.spf.test")
            #expect(outcome.result == .temperror, "\(outcome.trace.rendered())")
        }
    }

    @Test func staticAnalysisWalksTheTree() async throws {
        try await withEvaluator { _, server in
            let analysis = await SPFChecker(resolver: server.resolver()).check(try DomainName("spf.test"))
            #expect(!analysis.incomplete)
            #expect(analysis.ipv4 == SPFLookupCount(dnsLookups: 4, voidLookups: 0))
            #expect(analysis.ipv6 == SPFLookupCount(dnsLookups: 4, voidLookups: 1))
            #expect(analysis.tree.children.map(\.domain) == ["_spf.spf.test", "_spf.spfnet.test"])
            #expect(!analysis.findings.contains { $0.id == "spf.string-too-long" })
            #expect(!analysis.findings.contains { $0.id == "spf.record-too-long" })
        }
    }
}
