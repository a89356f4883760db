import Foundation
import DNSCore
import MailAuthCore
import SPF
import Testing

@Suite struct SPFCheckerTests {
    func analyze(_ data: [String: [String]], domain: String = "example.com") async throws -> SPFAnalysis {
        try await SPFChecker(resolver: TestZone.make(data)).check(DomainName(domain))
    }

    func ids(_ analysis: SPFAnalysis) -> Set<String> { Set(analysis.findings.map(\.id)) }

    struct LintCase: Sendable, CustomTestStringConvertible {
        var id: String
        var severity: Severity
        var zone: [String: [String]]
        var testDescription: String { id }
    }

    static let lintCases: [LintCase] = [
        LintCase(id: "spf.no-record", severity: .error, zone: ["example.com": ["TXT hello"]]),
        LintCase(id: "spf.multiple-records", severity: .error, zone: ["example.com": ["TXT v=spf1 -all", "TXT v=spf1 ~all"]]),
        LintCase(id: "spf.rr-type-spf", severity: .warning, zone: ["example.com": ["TXT v=spf1 -all", "SPF v=spf1 -all"]]),
        LintCase(id: "spf.record-too-long", severity: .warning, zone: ["example.com": [
            "TXT v=spf1 " + (1...30).map { "ip4:198.51.100.\($0)" }.joined(separator: " ") + " -all"]]),
        LintCase(id: "spf.syntax", severity: .error, zone: ["example.com": ["TXT v=spf1 ip4:192.0.2.0/33 -all"]]),
        LintCase(id: "spf.misspelt-mechanism", severity: .error, zone: ["example.com": ["TXT v=spf1 inclde:example.net -all"]]),
        LintCase(id: "spf.all-pass", severity: .error, zone: ["example.com": ["TXT v=spf1 +all"]]),
        LintCase(id: "spf.all-neutral", severity: .error, zone: ["example.com": ["TXT v=spf1 ip4:192.0.2.1 ?all"]]),
        LintCase(id: "spf.no-all", severity: .warning, zone: ["example.com": ["TXT v=spf1 ip4:192.0.2.1"]]),
        LintCase(id: "spf.ptr", severity: .warning, zone: ["example.com": ["TXT v=spf1 ptr -all"]]),
        LintCase(id: "spf.redirect-ignored", severity: .warning, zone: [
            "example.com": ["TXT v=spf1 -all redirect=example.net"], "example.net": ["TXT v=spf1 -all"]]),
        LintCase(id: "spf.unknown-modifier", severity: .info, zone: ["example.com": ["TXT v=spf1 -all foo=bar"]]),
        LintCase(id: "spf.include-self", severity: .error, zone: ["example.com": ["TXT v=spf1 include:example.com -all"]]),
        LintCase(id: "spf.loop", severity: .error, zone: [
            "example.com": ["TXT v=spf1 include:example.net -all"], "example.net": ["TXT v=spf1 include:example.com -all"]]),
        LintCase(id: "spf.include-no-record", severity: .error, zone: [
            "example.com": ["TXT v=spf1 include:example.net -all"], "example.net": ["A 192.0.2.1"]]),
        LintCase(id: "spf.redirect-no-record", severity: .error, zone: [
            "example.com": ["TXT v=spf1 redirect=example.net"], "example.net": ["A 192.0.2.1"]]),
        LintCase(id: "spf.macro-unchecked", severity: .info, zone: ["example.com": ["TXT v=spf1 exists:%{i}.bl.example.net -all"]]),
        LintCase(id: "spf.ip-overlap", severity: .info, zone: ["example.com": ["TXT v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.128/25 -all"]]),
        LintCase(id: "spf.lookup-limit", severity: .error, zone: [
            "example.com": ["TXT v=spf1 " + (1...11).map { "a:h\($0).example.com" }.joined(separator: " ") + " -all"]]
            .merging((1...11).map { ("h\($0).example.com", ["A 192.0.2.\($0)", "AAAA 2001:db8::\($0)"]) }) { $1 }),
        LintCase(id: "spf.void-limit", severity: .error, zone: [
            "example.com": ["TXT v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all"]]),
        LintCase(id: "spf.mx-limit", severity: .error, zone: [
            "example.com": ["TXT v=spf1 mx -all"] + (1...11).map { "MX 10 mx\($0).example.com" }]),
    ]

    @Test(arguments: lintCases)
    func everyLintFires(_ lint: LintCase) async throws {
        let analysis = try await analyze(lint.zone)
        let finding = analysis.findings.first { $0.id == lint.id }
        #expect(finding != nil, "findings: \(analysis.findings.map(\.id))")
        #expect(finding?.severity == lint.severity)
        #expect(finding?.rfc?.hasPrefix("RFC 7208 §") == true)
        #expect(finding?.detail.isEmpty == false)
        if !["spf.no-record", "spf.rr-type-spf"].contains(lint.id) {
            #expect(finding?.evidence.isEmpty == false, "a finding about a record shows the record")
        }
    }

    @Test func aCleanRecordHasNoWarnings() async throws {
        let analysis = try await analyze([
            "example.com": ["TXT v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all"],
            "_spf.example.net": ["TXT v=spf1 ip6:2001:db8::/32 ~all"],
        ])
        #expect(analysis.findings.filter { $0.severity >= .warning }.isEmpty, "\(analysis.findings)")
        #expect(analysis.ipv4 == SPFLookupCount(dnsLookups: 1, voidLookups: 0))
        #expect(analysis.tree.children.first?.domain == "_spf.example.net")
    }

    @Test func characterStringsOver255BytesAreInvalid() throws {
        let txt = TXTData(strings: [Array(("v=spf1 " + String(repeating: "a", count: 300)).utf8)])
        let findings = SPFLint.findings(forText: txt, domain: try DomainName("example.com"))
        #expect(findings.contains { $0.id == "spf.string-too-long" && $0.severity == .error })
    }

    /// The IPv6 trap, statically: a/mx targets without AAAA are void only for IPv6 senders.
    @Test func voidLookupsAreCountedPerAddressFamily() async throws {
        let analysis = try await analyze([
            "example.com": ["TXT v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com exists:gone.example.com -all"],
            "h1.example.com": ["A 192.0.2.1"], "h2.example.com": ["A 192.0.2.2"], "h3.example.com": ["A 192.0.2.3"],
        ])
        #expect(analysis.ipv4.voidLookups == 1)
        #expect(analysis.ipv6.voidLookups == 4)
        let finding = try #require(analysis.findings.first { $0.id == "spf.void-limit" })
        #expect(finding.detail.contains("IPv6 clients only"))
    }

    @Test func exchangersWithoutAAAAAreVoidForIPv6Senders() async throws {
        let analysis = try await analyze([
            "example.com": ["TXT v=spf1 mx -all", "MX 10 mx1.example.com", "MX 20 mx2.example.com", "MX 30 mx3.example.com"],
            "mx1.example.com": ["A 192.0.2.1", "AAAA 2001:db8::1"], "mx2.example.com": ["A 192.0.2.2"],
            "mx3.example.com": ["A 192.0.2.3"],
        ])
        #expect(analysis.ipv4 == SPFLookupCount(dnsLookups: 1, voidLookups: 0))
        #expect(analysis.ipv6 == SPFLookupCount(dnsLookups: 1, voidLookups: 2))
        #expect(!analysis.findings.contains { $0.id == "spf.void-limit" })
    }

    /// Issue 13: `ptr` (no PTR record for the client), `exists:%{i}…` (the client is not listed)
    /// and an exchanger with A but no AAAA: two void lookups for IPv4 senders, three for IPv6.
    static let ptrExistsMX: [String: [String]] = [
        "example.com": ["TXT v=spf1 ptr exists:%{i}._spf.example.com mx -all", "MX 10 mx.example.com"],
        "mx.example.com": ["A 192.0.2.25"],
    ]
    /// The same record with an exchanger that also has AAAA: two void lookups for both families.
    static let ptrExistsDualStackMX: [String: [String]] = [
        "example.com": ["TXT v=spf1 ptr exists:%{i}._spf.example.com mx -all", "MX 10 mx.example.com"],
        "mx.example.com": ["A 192.0.2.25", "AAAA 2001:db8::25"],
    ]

    @Test func ptrAndMacroExistsAreVoidInTheWorstCase() async throws {
        let analysis = try await analyze(Self.ptrExistsMX)
        #expect(analysis.ipv4 == SPFLookupCount(dnsLookups: 3, voidLookups: 2))
        #expect(analysis.ipv6 == SPFLookupCount(dnsLookups: 3, voidLookups: 3))
        let finding = try #require(analysis.findings.first { $0.id == "spf.void-limit" }, "\(analysis.findings.map(\.id))")
        #expect(finding.severity == .error)
        #expect(finding.detail.contains("IPv6 clients only"))
        #expect(finding.detail.contains("worst case: 2 of the void lookups depend on the client"))
    }

    @Test func twoWorstCaseVoidLookupsAreWithinTheLimit() async throws {
        let analysis = try await analyze(Self.ptrExistsDualStackMX)
        #expect(analysis.ipv4 == SPFLookupCount(dnsLookups: 3, voidLookups: 2))
        #expect(analysis.ipv6 == SPFLookupCount(dnsLookups: 3, voidLookups: 2))
        #expect(!analysis.findings.contains { $0.id == "spf.void-limit" })
    }

    /// `ptr` is void for a client without reverse DNS whatever its domain-spec (RFC 7208 §5.5);
    /// an `exists` with macros is void for a sender it does not list; a literal `exists` target
    /// is looked up.
    @Test(arguments: [
        ("ptr", 1), ("ptr:example.net", 1), ("ptr:%{d}", 1), ("exists:%{i}.bl.example.net", 1),
        ("exists:%{l}.%{o}._spf.example.net", 1), ("exists:listed.example.net", 0), ("exists:gone.example.net", 1),
    ])
    func clientDependentTermsCountOneVoidLookupPerFamily(term: String, voids: Int) async throws {
        let analysis = try await analyze([
            "example.com": ["TXT v=spf1 \(term) -all"], "listed.example.net": ["A 127.0.0.2"],
        ])
        #expect(analysis.ipv4 == SPFLookupCount(dnsLookups: 1, voidLookups: voids))
        #expect(analysis.ipv6 == SPFLookupCount(dnsLookups: 1, voidLookups: voids))
    }

    /// check_host() agrees with the analysis: for a client of each family matching nothing (no
    /// PTR record, not listed by the exists target), it meets the void lookups the analysis
    /// counted, and gives permerror exactly when the analysis reports the family over the limit.
    @Test(arguments: [ptrExistsMX, ptrExistsDualStackMX])
    func theEvaluatorMeetsTheWorstCase(zone: [String: [String]]) async throws {
        let resolver = try TestZone.make(zone)
        let analysis = await SPFChecker(resolver: resolver).check(try DomainName("example.com"))
        let evaluator = SPFEvaluator(resolver: resolver, clock: { 0 })
        for (ip, count) in [(IPAddress("192.0.2.10"), analysis.ipv4), (IPAddress("2001:db8::10"), analysis.ipv6)] {
            let client = try #require(ip)
            let outcome = await evaluator.evaluateMailFrom(ip: client, mailFrom: "alice@example.com", helo: "mail.example.com")
            let over = count.voidLookups > SPFLimits.maximumVoidLookups
            #expect(outcome.result == (over ? .permerror : .fail), "\(client): \(outcome.trace.rendered())")
            #expect(outcome.voidLookups == count.voidLookups, "\(client)")
        }
    }

    @Test func anIPv6ClientOfTheIssueRecordGetsPermerror() async throws {
        let outcome = await SPFEvaluator(resolver: try TestZone.make(Self.ptrExistsMX), clock: { 0 })
            .evaluateMailFrom(ip: try #require(IPAddress("2001:db8::10")), mailFrom: "alice@example.com", helo: "mail.example.com")
        #expect(outcome.result == .permerror, "\(outcome.trace.rendered())")
        #expect(outcome.voidLookups == 3)
        #expect(outcome.problem?.contains("void") == true)
    }

    @Test func countingFollowsTheRFC() async throws {
        // Terms after all never run; redirect next to all never runs; exp never counts; mx counts once.
        let analysis = try await analyze([
            "example.com": ["TXT v=spf1 mx include:a.example.net -all include:never.example.net redirect=x.example.net exp=e.example.com"]
                + (1...5).map { "MX 10 mx\($0).example.com" },
            "a.example.net": ["TXT v=spf1 include:b.example.net include:b.example.net"],
            "b.example.net": ["TXT v=spf1 a:h.example.net"], "h.example.net": ["A 192.0.2.1", "AAAA 2001:db8::1"],
        ])
        // mx(1) + include a(1) + 2 × (include b(1) + a(1)) = 6
        #expect(analysis.ipv4.dnsLookups == 6)
        #expect(analysis.ipv6.dnsLookups == 6)
        #expect(!analysis.findings.contains { $0.id == "spf.lookup-limit" })
    }

    @Test func dnsFailuresMakeTheAnalysisIncomplete() async throws {
        let zone = try TestZone.make(["example.com": ["TXT v=spf1 include:bad.example.net -all"]], failures: ["bad.example.net": .serverFailure])
        let analysis = await SPFChecker(resolver: zone).check(try DomainName("example.com"))
        #expect(analysis.incomplete)
        #expect(analysis.findings.contains { $0.id == "spf.dns-failure" })
    }

    @Test func findingsAreCodable() throws {
        let finding = Finding(id: "spf.ptr", severity: .warning, title: "t", detail: "d", evidence: ["v=spf1 ptr -all"],
                              rfc: "RFC 7208 §5.5")
        let data = try JSONEncoder().encode(finding)
        #expect(try JSONDecoder().decode(Finding.self, from: data) == finding)
    }

    /// The audit report's documented form: evidence lines as one string, absent when there are none.
    @Test func evidenceLinesAreOneStringInJSONAndAbsentWhenThereAreNone() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let lines = Finding(id: "x", severity: .info, title: "t", detail: "d", evidence: ["a", "b"])
        #expect(String(decoding: try encoder.encode(lines), as: UTF8.self)
            == #"{"detail":"d","evidence":"a\nb","id":"x","severity":"info","title":"t"}"#)
        let none = Finding(id: "x", severity: .info, title: "t", detail: "d")
        #expect(String(decoding: try encoder.encode(none), as: UTF8.self) == #"{"detail":"d","id":"x","severity":"info","title":"t"}"#)
    }
}
