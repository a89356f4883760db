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
}
