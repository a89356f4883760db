import DNSCore
import Foundation
import SPF
import TestSupport
import Testing

@Suite struct SPFEvaluatorTests {
    static let v4 = IPAddress("192.0.2.10")!
    static let v6 = IPAddress("2001:db8::10")!

    func check(_ zone: some DNSResolver, ip: IPAddress, domain: String = "example.com", timeout: Duration = .seconds(60)) async -> SPFEvaluation {
        await SPFEvaluator(resolver: zone, timeout: timeout, clock: { 0 })
            .evaluateMailFrom(ip: ip, mailFrom: "alice@\(domain)", helo: "mail.\(domain)")
    }

    @Test func traceShowsTheIncludeTreeWithItsQueries() async throws {
        let zone = try TestZone.make([
            "example.com": ["TXT v=spf1 include:a.example.net -all"],
            "a.example.net": ["TXT v=spf1 include:b.example.net ~all"],
            "b.example.net": ["TXT v=spf1 a:host.example.net -all"],
            "host.example.net": ["A 192.0.2.10"],
        ])
        let outcome = await check(zone, ip: Self.v4)
        #expect(outcome.result == .pass)
        #expect(outcome.matchedTerm == "include:a.example.net")
        #expect(outcome.dnsLookups == 3)
        #expect(outcome.voidLookups == 0)
        let include = try #require(outcome.trace.terms.first)
        #expect(include.outcome == .match)
        let inner = try #require(include.nested.first?.terms.first?.nested.first)
        #expect(inner.domain == "b.example.net")
        #expect(inner.terms.first?.lookups.first?.question == "host.example.net. A")
        #expect(outcome.trace.rendered().contains("a:host.example.net: match"))
    }

    /// `%{p}` needs the client's validated names (a PTR lookup, then forward lookups); a record
    /// tree that expands it several times looks them up once.
    @Test func theValidatedNameIsLookedUpOncePerEvaluation() async throws {
        let zone = try TestZone.make([
            "example.com": ["TXT v=spf1 exists:%{p}.a.example.com include:inc.example.com -all"],
            "inc.example.com": ["TXT v=spf1 exists:%{p}.b.example.com -all"],
            "10.2.0.192.in-addr.arpa": ["PTR mail.example.com"],
            "mail.example.com": ["A 192.0.2.10"],
            "mail.example.com.b.example.com": ["A 127.0.0.2"],
        ])
        let recorder = RecordingResolver(zone)
        let outcome = await check(recorder, ip: Self.v4)
        #expect(outcome.result == .pass)
        #expect(outcome.matchedTerm == "include:inc.example.com")
        #expect(recorder.questions.filter { $0.type == .ptr }.count == 1)
    }

    @Test func dnsFailureIsTemperrorNeverNoRecord() async throws {
        let zone = try TestZone.make([:], failures: ["example.com": .serverFailure])
        let outcome = await check(zone, ip: Self.v4)
        #expect(outcome.result == .temperror)
        #expect(outcome.trace.lookups.first?.outcome == "error")
    }

    @Test func failureInsideAnIncludeIsTemperror() async throws {
        let zone = try TestZone.make(
            ["example.com": ["TXT v=spf1 include:broken.example.net -all"]], failures: ["broken.example.net": .timeout])
        #expect(await check(zone, ip: Self.v4).result == .temperror)
    }

    /// The IPv6 void-lookup trap: names with A but no AAAA are void lookups only for IPv6 clients.
    @Test func namesWithoutAAAAAreVoidOnlyForIPv6Clients() async throws {
        let zone = try TestZone.make([
            "example.com": ["TXT v=spf1 a:h1.example.com a:h2.example.com a:h3.example.com ip6:2001:db8::10 ip4:192.0.2.10 -all"],
            "h1.example.com": ["A 198.51.100.1"], "h2.example.com": ["A 198.51.100.2"], "h3.example.com": ["A 198.51.100.3"],
        ])
        await expectVoidOnlyForIPv6(zone)
    }

    /// The same trap through `mx`: each exchanger's empty AAAA answer is a void lookup (pyspf #44).
    @Test func exchangersWithoutAAAAAreVoidOnlyForIPv6Clients() async throws {
        let zone = try TestZone.make([
            "example.com": ["TXT v=spf1 mx ip6:2001:db8::10 -all", "MX 10 mx1.example.com", "MX 20 mx2.example.com",
                            "MX 30 mx3.example.com"],
            "mx1.example.com": ["A 198.51.100.1"], "mx2.example.com": ["A 198.51.100.2"], "mx3.example.com": ["A 192.0.2.10"],
        ])
        await expectVoidOnlyForIPv6(zone)
    }

    /// An IPv4 client passes with no void lookup; an IPv6 client meets three and gets permerror.
    func expectVoidOnlyForIPv6(_ zone: ZoneResolver) async {
        let ipv4 = await check(zone, ip: Self.v4)
        #expect(ipv4.result == .pass)
        #expect(ipv4.voidLookups == 0)
        let ipv6 = await check(zone, ip: Self.v6)
        #expect(ipv6.result == .permerror)
        #expect(ipv6.voidLookups == 3)
        #expect(ipv6.problem?.contains("void") == true)
    }

    @Test func elevenDNSTermsArePermerror() async throws {
        var data: [String: [String]] = [:]
        let includes = (1...11).map { "include:i\($0).example.com" }.joined(separator: " ")
        data["example.com"] = ["TXT v=spf1 \(includes) -all"]
        for index in 1...11 { data["i\(index).example.com"] = ["TXT v=spf1 -all"] }
        let outcome = await check(try TestZone.make(data), ip: Self.v4)
        #expect(outcome.result == .permerror)
        #expect(outcome.dnsLookups == SPFLimits.maximumDNSMechanisms + 1)
    }

    @Test func ipv4MappedClientsAreCheckedAsIPv4() async throws {
        let zone = try TestZone.make(["example.com": ["TXT v=spf1 ip4:192.0.2.0/24 -all"]])
        #expect(await check(zone, ip: IPAddress("::ffff:192.0.2.10")!).result == .pass)
    }

    @Test func nullSenderIsCheckedAsPostmasterAtHelo() async throws {
        let zone = try TestZone.make([
            "mail.example.com": ["TXT v=spf1 -all exp=why.example.com"], "why.example.com": ["TXT %{s} may not send"],
        ])
        let outcome = await SPFEvaluator(resolver: zone).evaluateMailFrom(ip: Self.v4, mailFrom: "", helo: "mail.example.com")
        #expect(outcome.result == .fail)
        #expect(outcome.explanation == "postmaster@mail.example.com may not send")
    }

    @Test(arguments: [("", "postmaster@mail.example.com"), ("<>", "postmaster@mail.example.com"),
                      ("bob@example.com", "bob@example.com"), ("<bob@example.com>", "<bob@example.com>")])
    func theNullReversePathIsPostmasterAtHeloAndAnyOtherIsKept(reversePath: String, sender: String) {
        #expect(SPFEvaluator.sender(forReversePath: reversePath, helo: "mail.example.com") == sender)
    }

    /// The spf command's JSON: `trace` holds the tree without an evaluation, the trace with one.
    @Test func aReportCarriesTheTreeOrTheEvaluationsTrace() async throws {
        let zone = try TestZone.make(["example.com": ["TXT v=spf1 ip4:192.0.2.0/24 -all"]])
        let analysis = await SPFChecker(resolver: zone).check(try DomainName("example.com"))
        let evaluation = await SPFEvaluator(resolver: zone).evaluate(
            ip: Self.v4, domain: "example.com", sender: "postmaster@example.com", helo: "example.com")
        let encoder = JSONEncoder()
        func object(_ report: SPFReport) throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: try encoder.encode(report)) as? [String: Any] ?? [:]
        }
        let check = try object(SPFReport(analysis: analysis))
        #expect((check["trace"] as? [String: Any])?["children"] != nil, "the tree")
        #expect(check["result"] == nil && check["ipv4"] != nil, "no evaluation: result is absent, not null")
        let both = SPFReport(analysis: analysis, evaluation: evaluation, sender: "postmaster@example.com", helo: "example.com")
        #expect((try object(both)["trace"] as? [String: Any])?["terms"] != nil, "the evaluation's trace")
        #expect(both.result == .pass && !both.isIncomplete)
    }

    /// RFC 7208 §6.2: an included record's exp= is never used, so it is not even fetched.
    @Test func anIncludedRecordsExplanationIsNotFetched() async throws {
        let zone = try TestZone.make(
            [
                "example.com": ["TXT v=spf1 include:inc.example.com -all exp=why.example.com"],
                "why.example.com": ["TXT not from %{i}"],
                "inc.example.com": ["TXT v=spf1 -all exp=slow.example.com"],
            ], failures: ["slow.example.com": .timeout])
        let outcome = await check(zone, ip: Self.v4)
        #expect(outcome.result == .fail)
        #expect(outcome.explanation == "not from 192.0.2.10")
        #expect(!outcome.trace.rendered().contains("slow.example.com."))
    }

    @Test func heloIdentity() async throws {
        let zone = try TestZone.make(["mail.example.com": ["TXT v=spf1 a -all", "A 192.0.2.10"]])
        #expect(await SPFEvaluator(resolver: zone).evaluateHelo(ip: Self.v4, helo: "mail.example.com").result == .pass)
    }

    @Test func mxWithMoreThanTenNamesIsPermerror() async throws {
        var data: [String: [String]] = ["example.com": ["TXT v=spf1 mx -all"]]
        data["example.com"]! += (1...11).map { "MX 10 mx\($0).example.com" }
        #expect(await check(try TestZone.make(data), ip: Self.v4).result == .permerror)
    }

    @Test func mxAddressLookupsDoNotCountTowardTheTermLimit() async throws {
        var data: [String: [String]] = ["example.com": ["TXT v=spf1 mx -all"]]
        data["example.com"]! += (1...10).map { "MX 10 mx\($0).example.com" }
        for index in 1...10 { data["mx\(index).example.com"] = ["A 198.51.100.\(index)"] }
        data["mx10.example.com"] = ["A 192.0.2.10"]
        let outcome = await check(try TestZone.make(data), ip: Self.v4)
        #expect(outcome.result == .pass)
        #expect(outcome.dnsLookups == 1)
    }

    /// A resolver that never answers: the evaluation's deadline must end it with temperror.
    struct HangingResolver: DNSResolver {
        var resolverDescription: String { "hanging" }
        func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
            try? await Task.sleep(for: .seconds(60))
            throw DNSError(.cancelled, question: question)
        }
    }

    @Test(.timeLimit(.minutes(1))) func theOverallDeadlineEndsAHangingEvaluation() async {
        let clock = ContinuousClock()
        let start = clock.now
        let outcome = await check(HangingResolver(), ip: Self.v4, timeout: .milliseconds(200))
        #expect(outcome.result == .temperror)
        #expect(clock.now - start < .seconds(10))
    }

    @Test func upperCaseMacroLettersAreURLEscaped() async throws {
        let zone = try TestZone.make([
            "example.com": ["TXT v=spf1 -all exp=why.example.com"], "why.example.com": ["TXT %{L} %{l} %{d2} %{ir}"],
        ])
        let outcome = await SPFEvaluator(resolver: zone).evaluateMailFrom(ip: Self.v4, mailFrom: "a b@example.com", helo: "h.example.com")
        #expect(outcome.explanation == "a%20b a b example.com 10.2.0.192")
    }
}
