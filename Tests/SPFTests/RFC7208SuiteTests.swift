import DNSCore
import SPF
import Testing

/// The openspf RFC 7208 conformance suite (release 2014.04 + 2019 additions), every case run
/// through a `ZoneResolver` built from its scenario's zonedata.
@Suite struct RFC7208SuiteTests {
    static let cases = SuiteLoader.cases()

    @Test func suiteHasEveryCase() {
        #expect(Self.cases.count == 203)
    }

    @Test(arguments: cases)
    func conformance(_ suiteCase: SuiteCase) async throws {
        let ip = try #require(IPAddress(suiteCase.host), "host \(suiteCase.host)")
        let evaluator = SPFEvaluator(resolver: suiteCase.resolver, timeout: .seconds(60), clock: { 1_400_000_000 })
        let outcome = await evaluator.evaluateMailFrom(ip: ip, mailFrom: suiteCase.mailFrom, helo: suiteCase.helo)
        #expect(
            suiteCase.results.contains(outcome.result),
            "expected \(suiteCase.results), got \(outcome.result) (\(outcome.problem ?? "-"))\n\(outcome.trace.rendered())")
        if let expected = suiteCase.explanation, suiteCase.results.contains(outcome.result) {
            if expected == "DEFAULT" {
                #expect(outcome.explanation == nil, "no exp= applies, so no explanation")
            } else {
                // The suite spells one IPv6 nibble name in upper case (v-macro-ip6); RFC 7208 §7.4's
                // example is lower case, and DNS names compare case-insensitively, so case is ignored.
                #expect(outcome.explanation?.lowercased() == expected.lowercased(), "\(outcome.trace.rendered())")
            }
        }
    }

    /// Without the trace (``SPFEvaluator/recordsTrace`` off, for bulk scans) every case gives the
    /// same result, explanation, matched term, counts and problem, and nothing is recorded.
    @Test(arguments: cases)
    func withoutTheTraceEveryOutcomeIsTheSame(_ suiteCase: SuiteCase) async throws {
        let ip = try #require(IPAddress(suiteCase.host), "host \(suiteCase.host)")
        var evaluator = SPFEvaluator(resolver: suiteCase.resolver, timeout: .seconds(60), clock: { 1_400_000_000 })
        let traced = await evaluator.evaluateMailFrom(ip: ip, mailFrom: suiteCase.mailFrom, helo: suiteCase.helo)
        evaluator.recordsTrace = false
        let bare = await evaluator.evaluateMailFrom(ip: ip, mailFrom: suiteCase.mailFrom, helo: suiteCase.helo)
        #expect(bare.result == traced.result && bare.explanation == traced.explanation)
        #expect(bare.matchedTerm == traced.matchedTerm && bare.matchedIn == traced.matchedIn)
        #expect(bare.dnsLookups == traced.dnsLookups && bare.voidLookups == traced.voidLookups)
        #expect(bare.problem == traced.problem)
        #expect(bare.trace.terms.isEmpty && bare.trace.lookups.isEmpty)
        #expect(bare.trace.domain == traced.trace.domain && bare.trace.result == traced.trace.result)
    }

    /// Without the trace and through a cache, include results are remembered (``IncludeMemo``):
    /// every case gives the traced evaluation's outcome and counts both when the memo is cold
    /// and when it answers, including where a remembered tree would cross a limit.
    @Test(arguments: cases)
    func withTheIncludeMemoEveryOutcomeIsTheSame(_ suiteCase: SuiteCase) async throws {
        let ip = try #require(IPAddress(suiteCase.host), "host \(suiteCase.host)")
        let traced = await SPFEvaluator(resolver: suiteCase.resolver, timeout: .seconds(60), clock: { 1_400_000_000 })
            .evaluateMailFrom(ip: ip, mailFrom: suiteCase.mailFrom, helo: suiteCase.helo)
        var evaluator = SPFEvaluator(resolver: CachingResolver(suiteCase.resolver), timeout: .seconds(60), clock: { 1_400_000_000 })
        evaluator.recordsTrace = false
        for pass in ["cold", "remembered"] {
            let bare = await evaluator.evaluateMailFrom(ip: ip, mailFrom: suiteCase.mailFrom, helo: suiteCase.helo)
            #expect(bare.result == traced.result && bare.explanation == traced.explanation, "\(pass)")
            #expect(bare.matchedTerm == traced.matchedTerm && bare.matchedIn == traced.matchedIn, "\(pass)")
            #expect(bare.dnsLookups == traced.dnsLookups && bare.voidLookups == traced.voidLookups, "\(pass)")
            #expect(bare.problem == traced.problem, "\(pass)")
        }
    }
}
