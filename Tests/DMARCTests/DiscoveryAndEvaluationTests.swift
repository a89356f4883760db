@testable import DMARC
import DNSCore
import Foundation
import TestSupport
import Testing

@Suite struct PolicyDiscoveryTests {
    static let zone = Zone.resolver([
        Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; np=none; rua=mailto:d@example.com"),
        Zone.a("example.com"),
        Zone.a("mail.example.com"),
        Zone.txt("_dmarc.own.example.com", "v=DMARC1; p=none"),
        Zone.a("own.example.com"),
    ])

    @Test(arguments: [
        ("example.com", "p", "reject", "example.com"),
        ("mail.example.com", "sp", "quarantine", "example.com"),
        ("ghost.example.com", "np", "none", "example.com"),
        ("own.example.com", "p", "none", "own.example.com"),
    ])
    func theApplicablePolicyIsPSpOrNp(_ author: String, _ tag: String, _ policy: String, _ policyDomain: String) async {
        let discovery = await DMARCDiscoverer(resolver: Self.zone).discoverPolicy(for: Zone.name(author))
        #expect(discovery.status == .found)
        #expect(discovery.appliedTag?.rawValue == tag)
        #expect(discovery.policy?.rawValue == policy)
        #expect(discovery.policyDomain?.description == policyDomain)
    }

    @Test func npFallsBackToSpThenP() async {
        let zone = Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine")])
        let discovery = await DMARCDiscoverer(resolver: zone).discoverPolicy(for: Zone.name("nope.example.com"))
        #expect(discovery.authorDomainExists == false)
        #expect(discovery.appliedTag == .np)
        #expect(discovery.policy == .quarantine)
    }

    @Test func aPublicSuffixDomainPolicyAppliesWhenTheOrganizationHasNone() async {
        let zone = Zone.resolver([Zone.txt("_dmarc.bank.example", "v=DMARC1; p=reject; psd=y"), Zone.a("giant.bank.example")])
        let discovery = await DMARCDiscoverer(resolver: zone).discoverPolicy(for: Zone.name("giant.bank.example"))
        #expect(discovery.source == .publicSuffixDomain)
        #expect(discovery.organizationalDomain.description == "giant.bank.example")
        #expect(discovery.policy == .reject)
    }

    @Test func aDNSFailureIsATemporaryErrorNotNoRecord() async {
        let zone = Zone.resolver([], failures: ["_dmarc.example.com": .timeout])
        let discoverer = DMARCDiscoverer(resolver: zone)
        for generation in DMARCGeneration.allCases {
            let discovery = await discoverer.discoverPolicy(for: Zone.name("mail.example.com"), generation: generation)
            guard case .temporaryError(let failure) = discovery.status else {
                Issue.record("\(generation): expected temporaryError, got \(discovery.status)")
                continue
            }
            #expect(failure.kind == .timeout)
            #expect(!discovery.isComplete)
        }
    }

    @Test func rfc7489UsesThePublicSuffixListAndOnlyTwoQueries() async {
        let resolver = RecordingResolver(Self.zone)
        let discovery = await DMARCDiscoverer(resolver: resolver).discoverLegacyPolicy(for: Zone.name("a.b.mail.example.com"))
        #expect(resolver.txtNames == ["_dmarc.a.b.mail.example.com", "_dmarc.example.com"])
        #expect(discovery.policy == .quarantine)
        #expect(discovery.appliedTag == .sp)
    }

    @Test func theGenerationsDisagreeWhenPsdNMakesASubdomainItsOwnOrganization() async {
        let zone = Zone.resolver([Zone.txt("_dmarc.example.co.uk", "v=DMARC1; p=reject"), Zone.a("a.b.example.co.uk"),
                                  Zone.txt("_dmarc.b.example.co.uk", "v=DMARC1; p=none; psd=n")])
        let discoverer = DMARCDiscoverer(resolver: zone)
        let modern = await discoverer.discoverPolicy(for: Zone.name("a.b.example.co.uk"))
        let legacy = await discoverer.discoverLegacyPolicy(for: Zone.name("a.b.example.co.uk"))
        // Tree walk: psd=n at b.example.co.uk stops the walk and makes it the Organizational Domain.
        #expect(modern.queriedNames.map(\.description) == ["_dmarc.a.b.example.co.uk", "_dmarc.b.example.co.uk"])
        #expect(modern.organizationalDomain.description == "b.example.co.uk")
        #expect(modern.policy == DMARCRecord.Policy.none)
        // Public Suffix List: co.uk is a suffix, so example.co.uk is the Organizational Domain.
        #expect(legacy.organizationalDomain.description == "example.co.uk")
        #expect(legacy.policy == .reject)
        let differences = DMARCLint.differences(modern, legacy)
        #expect(differences.map(\.id) == ["dmarc.generations-differ"])
        #expect(differences.first?.severity == .warning)
    }

    @Test func aMissingPDiffersBetweenTheGenerations() async {
        let zone = Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; adkim=s")])
        let discoverer = DMARCDiscoverer(resolver: zone)
        let modern = await discoverer.discoverPolicy(for: Zone.name("example.com"))
        let legacy = await discoverer.discoverLegacyPolicy(for: Zone.name("example.com"))
        #expect(modern.policy == DMARCRecord.Policy.none)
        #expect(legacy.status == .notApplied(.missingPolicy))
        #expect(DMARCLint.differences(modern, legacy).map(\.id) == ["dmarc.generations-differ"])
    }
}

@Suite struct EvaluationTests {
    static func evaluator(_ record: String, extra: [ResourceRecord] = []) -> DMARCEvaluator {
        DMARCEvaluator(resolver: Zone.resolver([Zone.txt("_dmarc.example.com", record), Zone.a("example.com")] + extra))
    }

    static let from = Zone.name("example.com")

    /// Both views from one walk: the RFC 7489 view reuses the RFC 9989 answers, so each name is
    /// asked once, and both evaluations still give their own verdicts.
    @Test func evaluatingBothViewsAsksEachNameOnce() async throws {
        let recorder = RecordingResolver(Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; pct=50"), Zone.a("example.com")]))
        let input = DMARCInput(fromDomain: Zone.name("mail.example.com"))
        let results = await DMARCEvaluator(resolver: recorder).evaluateBoth(input)
        #expect(results.map(\.generation) == [.rfc9989, .rfc7489])
        #expect(results.map(\.result) == [.fail, .fail])
        #expect(results[1].sampling?.percentage == 50)
        for name in ["_dmarc.mail.example.com", "_dmarc.example.com"] {
            #expect(recorder.count(of: DNSQuestion(Zone.name(name), .txt)) == 1, "\(name)")
        }
    }

    @Test func passesOnAnAlignedDKIMSignatureAndSaysWhichAligned() async {
        let input = DMARCInput(fromDomain: Self.from, spf: .init(domain: Zone.name("bounce.esp.example"), result: .pass),
                               dkim: [.init(domain: Zone.name("mail.example.com"), result: .pass)])
        let evaluation = await Self.evaluator("v=DMARC1; p=reject").evaluate(input)
        #expect(evaluation.result == .pass)
        #expect(evaluation.alignedIdentifiers.map(\.mechanism) == [.dkim])
        #expect(evaluation.disposition == DMARCRecord.Policy.none)
    }

    @Test func strictAlignmentNeedsTheExactDomain() async {
        let input = DMARCInput(fromDomain: Self.from, spf: .init(domain: Zone.name("mail.example.com"), result: .pass))
        let evaluation = await Self.evaluator("v=DMARC1; p=reject; aspf=s").evaluate(input)
        #expect(evaluation.result == .fail)
        #expect(evaluation.disposition == .reject)
    }

    @Test func aNonPassingIdentifierNeverAligns() async {
        let input = DMARCInput(fromDomain: Self.from, spf: .init(domain: Self.from, result: .softfail),
                               dkim: [.init(domain: Self.from, result: .fail)])
        let evaluation = await Self.evaluator("v=DMARC1; p=quarantine").evaluate(input)
        #expect(evaluation.result == .fail)
        #expect(evaluation.disposition == .quarantine)
    }

    @Test(arguments: [("reject", "quarantine"), ("quarantine", "none"), ("none", "none")])
    func testingModeAppliesOneLevelLessUnderRFC9989Only(_ p: String, _ applied: String) async {
        let input = DMARCInput(fromDomain: Self.from)
        let results = await Self.evaluator("v=DMARC1; p=\(p); t=y").evaluateBoth(input)
        #expect(results[0].generation == .rfc9989)
        #expect(results[0].disposition?.rawValue == applied)
        #expect(results[1].disposition?.rawValue == p)
    }

    @Test func pctIsReadOnlyByRFC7489() async {
        let results = await Self.evaluator("v=DMARC1; p=reject; pct=25").evaluateBoth(DMARCInput(fromDomain: Self.from))
        #expect(results[0].sampling == nil)
        #expect(results[0].disposition == .reject)
        #expect(results[1].sampling == .init(percentage: 25, sampled: .reject, notSampled: .quarantine))
    }

    @Test func noRecordMeansNone() async {
        let evaluation = await DMARCEvaluator(resolver: Zone.resolver([])).evaluate(DMARCInput(fromDomain: Self.from))
        #expect(evaluation.result == .none)
        #expect(evaluation.disposition == nil)
    }

    @Test func aFailedWalkForAnIdentifierIsATemporaryError() async {
        let input = DMARCInput(fromDomain: Self.from, dkim: [.init(domain: Zone.name("other.example.net"), result: .pass)])
        let zone = Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject"), Zone.a("example.com")],
                                 failures: ["_dmarc.example.net": .serverFailure])
        let evaluation = await DMARCEvaluator(resolver: zone).evaluate(input)
        #expect(evaluation.result == .temperror)
        #expect(evaluation.failure?.kind == .serverFailure)
    }

    @Test func relaxedAlignmentUnderRFC7489UsesThePSL() async {
        let input = DMARCInput(fromDomain: Zone.name("shop.example.co.uk"),
                               spf: .init(domain: Zone.name("bounce.example.co.uk"), result: .pass))
        let zone = Zone.resolver([Zone.txt("_dmarc.example.co.uk", "v=DMARC1; p=reject"), Zone.a("shop.example.co.uk")])
        let legacy = await DMARCEvaluator(resolver: zone).evaluate(input, generation: .rfc7489)
        #expect(legacy.result == .pass)
        #expect(legacy.checks.first?.authorOrganizationalDomain?.description == "example.co.uk")
    }
}

@Suite struct LintTests {
    static func inspect(_ records: [ResourceRecord], domain: String = "example.com",
                        failures: [String: DNSError.Kind] = [:]) async -> DMARCDomainReport {
        await DMARCChecker(resolver: Zone.resolver(records + [Zone.a(domain)], failures: failures)).check(Zone.name(domain))
    }

    static func ids(_ report: DMARCDomainReport) -> Set<String> { Set(report.findings.map(\.id)) }

    /// Both views in one inspection: the RFC 7489 view reuses the names the RFC 9989 walk asked.
    @Test func theRFC7489ViewDoesNotAskAgainWhatTheWalkAsked() async {
        let zone = Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject"), Zone.a("mail.example.com")])
        let recording = RecordingResolver(zone)
        let report = await DMARCChecker(resolver: recording).check(Zone.name("mail.example.com"))
        #expect(report.rfc9989.policy == .reject)
        #expect(report.rfc7489.policy == .reject)
        #expect(recording.txtNames == ["_dmarc.mail.example.com", "_dmarc.example.com", "_dmarc.com"])
    }

    @Test(arguments: [
        ("v=DMARC1; p=none; rua=mailto:d@example.com", "dmarc.policy-none"),
        ("v=DMARC1; p=reject; sp=none; rua=mailto:d@example.com", "dmarc.subdomain-policy-weaker"),
        ("v=DMARC1; p=reject; np=quarantine; rua=mailto:d@example.com", "dmarc.subdomain-policy-weaker"),
        ("v=DMARC1; p=reject", "dmarc.no-rua"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com; pct=50", "dmarc.removed-tag"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com; t=y", "dmarc.testing"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com; psd=y", "dmarc.psd-misuse"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com; ruf=mailto:f@example.com", "dmarc.ruf-set"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com; adkim=x", "dmarc.syntax"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com; foo=1", "dmarc.unknown-tag"),
        ("v=DMARC1; p=reject; rua=mailto:d@example.com!10m", "dmarc.obsolete-size-limit"),
        ("v=DMARC1; rua=mailto:d@example.com; p=reject", "dmarc.p-not-second"),
        ("v=DMARC1; p=bogus", "dmarc.invalid-policy"),
        ("v=DMARC1; p=reject; p=none", "dmarc.invalid-record"),
        ("v=DMARC1 p=reject", "dmarc.not-dmarc-record"),
        ("v=DMARC1; adkim=r", "dmarc.generations-differ"),
    ])
    func eachLintFires(_ record: String, _ id: String) async {
        let report = await Self.inspect([Zone.txt("_dmarc.example.com", record)])
        #expect(Self.ids(report).contains(id), "\(report.findings.map(\.id))")
        #expect(DMARCLint.ids.contains(id))
    }

    @Test func aCleanRecordHasNoWarnings() async {
        let report = await Self.inspect([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com")])
        #expect(report.findings.filter { $0.severity >= .warning }.isEmpty, "\(report.findings)")
        #expect(report.isComplete)
    }

    @Test func noRecordAndSeveralRecords() async {
        #expect(Self.ids(await Self.inspect([])).contains("dmarc.no-record"))
        let several = await Self.inspect([Zone.txt("_dmarc.example.com", "v=DMARC1; p=none"),
                                          Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject")])
        #expect(Self.ids(several).contains("dmarc.multiple-records"))
        #expect(Self.ids(several).contains("dmarc.no-record"))
    }

    @Test func aRecordOnlyAtASubdomain() async {
        let report = await Self.inspect([Zone.txt("_dmarc.mail.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com")],
                                        domain: "mail.example.com")
        #expect(Self.ids(report).contains("dmarc.record-only-at-subdomain"))
    }

    @Test func foreignReportDestinationsNeedAnAuthorizationRecord() async {
        let record = Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:a@reports.example.net,mailto:b@vendor.example.org")
        let authorization = Zone.txt("example.com._report._dmarc.reports.example.net", "v=DMARC1;")
        let report = await Self.inspect([record, authorization])
        #expect(report.reportAuthorizations.map(\.status) == [.authorized, .notAuthorized])
        let unauthorized = report.findings.filter { $0.id == "dmarc.rua-unauthorized" }
        #expect(unauthorized.count == 1)
        #expect(unauthorized.first?.title.contains("vendor.example.org") == true)
    }

    @Test func aDNSFailureMakesTheReportIncomplete() async {
        let report = await Self.inspect([], failures: ["_dmarc.example.com": .serverFailure])
        #expect(!report.isComplete)
        #expect(Self.ids(report).contains("dmarc.dns-failure"))
        #expect(!Self.ids(report).contains("dmarc.no-record"))
    }
}

@Suite struct CodingTests {
    @Test func reportsRoundTripThroughFlatJSON() async throws {
        let zone = Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com"),
                                  Zone.txt("_dmarc.mail.example.com", "v=DMARC1; p=none"),
                                  Zone.txt("_dmarc.mail.example.com", "v=DMARC1; p=reject")],
                                 failures: ["_dmarc.com": .timeout])
        let report = await DMARCChecker(resolver: zone).check(Zone.name("mail.example.com"))
        let data = try JSONEncoder().encode(report)
        #expect(try JSONDecoder().decode(DMARCDomainReport.self, from: data) == report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""kind":"multipleRecords""#))
        #expect(text.contains(#""kind":"temporaryError""#))
        #expect(!text.contains(#""_0""#))
    }
}
