@testable import DMARC
import DNSCore
import Testing

/// TXT records at `_dmarc` names that are not DMARC records (issue 13): receivers discard them and
/// the walk goes on (RFC 9989 §4.10 step 2; RFC 7489 §6.6.3), so they are no error, and advice to
/// "start with v=DMARC1" is wrong for another protocol's record or a wildcard's.
@Suite struct ForeignTXTTests {
    /// `*.sub.example.test` answers SPF at every name below `sub`, `_dmarc.sub` included; the
    /// organizational record sets `sp`.
    static let records = [
        ResourceRecord(name: Zone.name("*.sub.example.test"), data: .txt(TXTData(text: "v=spf1 -all"))),
        Zone.txt("_dmarc.example.test", "v=DMARC1; p=quarantine; sp=reject; rua=mailto:dmarc@example.test"),
        Zone.a("example.test"), Zone.a("sub.example.test"),
    ]
    static let sub = Zone.name("sub.example.test")

    @Test func aWildcardSPFRecordAtDMARCIsSkippedAndTheOrganizationalPolicyApplies() async {
        let report = await DMARCChecker(resolver: Zone.resolver(Self.records)).check(Self.sub)
        for discovery in [report.rfc9989, report.rfc7489] {
            #expect(discovery.steps.first?.outcome == .noDMARCRecord(["v=spf1 -all"]), "\(discovery.generation)")
            #expect(discovery.status == .found)
            #expect(discovery.policyDomain == Zone.name("example.test"))
            #expect(discovery.source == .organizationalDomain)
            #expect(discovery.appliedTag == .sp)
            #expect(discovery.policy == .reject)
        }
        #expect(report.rfc9989.organizationalDomain == Zone.name("example.test"))
        #expect(report.findings.filter { $0.severity >= .error }.isEmpty, "\(report.findings)")
        #expect(!report.findings.contains { $0.id == "dmarc.not-dmarc-record" })
        #expect(!report.findings.contains { $0.fix?.contains("v=DMARC1;") == true }, "\(report.findings)")
    }

    @Test func theEvaluatorAppliesTheInheritedSubdomainPolicy() async {
        let evaluator = DMARCEvaluator(resolver: Zone.resolver(Self.records))
        let input = DMARCInput(fromDomain: Self.sub, spf: .init(domain: Zone.name("bounce.esp.example"), result: .pass))
        for evaluation in await evaluator.evaluateBoth(input) {
            #expect(evaluation.result == .fail, "\(evaluation.generation)")
            #expect(evaluation.requestedPolicy == .reject)
            #expect(evaluation.discovery.policyDomain == Zone.name("example.test"))
        }
    }

    /// Another protocol's record, or text, at an Author Domain's `_dmarc` name: no finding.
    @Test(arguments: [
        "v=spf1 -all", "v=spf1 include:_spf.example.com ~all", "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ",
        "google-site-verification=6P08Ow5E-8Q0m6vQ7FMAqAYIDprkVV8fUf_7hZ4Qvc8", "MS=ms12345678", "hello world",
    ])
    func anotherProtocolsRecordIsNoFinding(_ text: String) async {
        let report = await LintTests.inspect([
            Zone.txt("_dmarc.mail.example.com", text),
            Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@example.com"),
        ], domain: "mail.example.com")
        #expect(report.rfc9989.policy == .reject)
        #expect(!DMARCLint.looksLikeDMARCRecord(text))
        #expect(report.findings.filter { $0.severity >= .error }.isEmpty, "\(report.findings)")
        #expect(!report.findings.contains { $0.id == "dmarc.not-dmarc-record" })
    }

    /// A DMARC record gone wrong is still an error: receivers discard it too, which its author did
    /// not mean.
    @Test(arguments: [
        "v=dmarc1; p=reject", "v=DMARC1 p=reject", "p=reject; v=DMARC1", "p=reject; rua=mailto:d@example.com",
        "v = Dmarc1; p=none", "v=DMARC; p=reject",
    ])
    func aNearMissDMARCRecordIsStillAnError(_ text: String) async {
        let report = await LintTests.inspect([Zone.txt("_dmarc.example.com", text)])
        #expect(DMARCLint.looksLikeDMARCRecord(text))
        let finding = report.findings.first { $0.id == "dmarc.not-dmarc-record" }
        #expect(finding?.severity == .error, "\(report.findings)")
        #expect(finding?.evidence == [text])
    }

    /// Only the near miss is evidence when it shares the name with another protocol's record.
    @Test func theEvidenceIsTheNearMissAlone() async {
        let report = await LintTests.inspect([
            Zone.txt("_dmarc.example.com", "v=spf1 -all"), Zone.txt("_dmarc.example.com", "v=dmarc1; p=reject"),
        ])
        #expect(report.findings.first { $0.id == "dmarc.not-dmarc-record" }?.evidence == ["v=dmarc1; p=reject"])
    }

    /// The tag name `v` is case-insensitive and the grammar allows spaces around `=` (RFC 9989
    /// §4.8), and the tag-list allows whitespace before a tag (RFC 6376 §3.2): these are records.
    @Test(arguments: ["V=DMARC1; p=reject", "v = DMARC1; p=reject", "  v=DMARC1; p=reject"])
    func spellingsTheGrammarAllowsAreRecords(_ text: String) async {
        let report = await LintTests.inspect([Zone.txt("_dmarc.example.com", text)])
        #expect(report.rfc9989.policy == .reject)
        #expect(!report.findings.contains { $0.id == "dmarc.not-dmarc-record" })
    }
}
