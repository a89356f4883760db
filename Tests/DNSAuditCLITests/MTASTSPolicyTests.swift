import DNSAudit
import DNSCore
import Testing

/// MTA-STS policy files (RFC 8461 §3.2) and MX matching (§4.1).
@Suite struct MTASTSPolicyTests {
    static func parse(_ text: String) -> MTASTSPolicy { MTASTSPolicy(parsing: Array(text.utf8)) }
    static func ids(_ policy: MTASTSPolicy) -> Set<String> { Set(policy.findings.map(\.id)) }

    @Test func aGoodPolicyParsesWithNoFinding() {
        for text in [
            "version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n",
            "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\nmax_age: 604800",  // CRLF, no final delimiter
            "version:STSv1\nmode:\tenforce  \nmx: mail.example.com\nmax_age: 31557600\nextension_x: ignored\n",
        ] {
            let policy = Self.parse(text)
            #expect(policy.findings.isEmpty, "\(text.debugDescription): \(policy.findings.map(\.id))")
            #expect(policy.version == "STSv1")
            #expect(policy.mx.first == "mail.example.com")
        }
        let policy = Self.parse("version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\nmax_age: 604800\n")
        #expect(policy.mode == .enforce)
        #expect(policy.maxAge == 604_800)
        #expect(policy.mx == ["mail.example.com", "*.example.net"])
    }

    @Test(arguments: [
        ("mode: enforce\nmx: a.example\nmax_age: 604800", "mta-sts.policy-version"),
        ("version: STSv2\nmode: enforce\nmx: a.example\nmax_age: 604800", "mta-sts.policy-version"),
        ("version: STSv1\nmode: Enforce\nmx: a.example\nmax_age: 604800", "mta-sts.policy-mode"),
        ("version: STSv1\nmx: a.example\nmax_age: 604800", "mta-sts.policy-mode"),
        ("version: STSv1\nmode: enforce\nmx: a.example", "mta-sts.policy-max-age"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 31557601", "mta-sts.policy-max-age"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 12345678901", "mta-sts.policy-max-age"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: -5", "mta-sts.policy-max-age"),
        ("version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 3600", "mta-sts.policy-max-age-short"),
        ("version: STSv1\nmode: enforce\nmax_age: 604800", "mta-sts.policy-mx-missing"),
        ("version: STSv1\nmode: enforce\nmx: *.*.example\nmax_age: 604800", "mta-sts.policy-mx-invalid"),
        ("version: STSv1\nmode: enforce\nmx: mail*.example\nmax_age: 604800", "mta-sts.policy-mx-invalid"),
        ("version: STSv1\nmode: enforce\nmode: none\nmx: a.example\nmax_age: 604800", "mta-sts.policy-duplicate-field"),
        ("version: STSv1\nmode enforce\nmx: a.example\nmax_age: 604800", "mta-sts.policy-bad-line"),
    ])
    func eachViolationHasItsFinding(text: String, id: String) {
        let policy = Self.parse(text)
        #expect(Self.ids(policy).contains(id), "\(text.debugDescription): \(Self.ids(policy))")
    }

    @Test func modeNoneNeedsNoMX() {
        #expect(Self.parse("version: STSv1\nmode: none\nmax_age: 86400\n").findings.isEmpty)
    }

    @Test func oversizedAndNonUTF8BodiesAreRejected() {
        let big = MTASTSPolicy(parsing: Array(repeating: UInt8(ascii: "#"), count: 65_537))
        #expect(Self.ids(big) == ["mta-sts.policy-too-large"])
        #expect(Self.ids(MTASTSPolicy(parsing: [0x76, 0xFF, 0x0A])) == ["mta-sts.policy-not-utf8"])
    }

    /// RFC 8461 §4.1: a wildcard covers exactly one leftmost label; names compare without case
    /// or a trailing dot. checkdmarc matches patterns as substrings, which accepts more.
    @Test(arguments: [
        ("mx.example.com", "mx.example.com", true), ("MX.Example.COM.", "mx.example.com", true),
        ("mx.example.com", "*.example.com", true), ("a.b.example.com", "*.example.com", false),
        ("example.com", "*.example.com", false), ("mx.example.com.evil.test", "mx.example.com", false),
        ("evilmx.example.com", "mx.example.com", false), ("mx.example.org", "*.example.com", false),
    ])
    func mxMatchingFollowsSection4_1(host: String, pattern: String, matches: Bool) throws {
        #expect(MTASTSPolicy.matches(try DomainName(host), pattern: pattern) == matches)
    }

    @Test func uncoveredMXHostsAreNamedAndTheTwoLabelWildcardExplained() throws {
        let policy = Self.parse("version: STSv1\nmode: enforce\nmx: *.example.com\nmax_age: 604800\n")
        let findings = policy.uncovered([try DomainName("mx1.example.com"), try DomainName("a.b.example.com"), try DomainName("mx.other.net")])
        let finding = try #require(findings.first)
        #expect(finding.id == "mta-sts.mx-not-covered")
        #expect(finding.severity == .error)
        #expect(finding.evidence == ["a.b.example.com", "mx.other.net"])
        #expect(finding.detail.contains("covers exactly one label"))
        #expect(policy.uncovered([try DomainName("mx1.example.com")]).isEmpty)
        let testing = Self.parse("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 604800\n")
        #expect(testing.uncovered([try DomainName("other.example.com")]).first?.severity == .warning)
    }

    @Test func aChangedPolicyUnderTheSameIDIsReported() {
        let old = Self.parse("version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 604800\n")
        let new = Self.parse("version: STSv1\nmode: enforce\nmx: mx.example.com\nmax_age: 604800\n")
        #expect(MTASTSPolicy.idUnchanged(previousID: "20261201", previousPolicy: old, currentID: "20261201", currentPolicy: new)?.id == "mta-sts.id-unchanged")
        #expect(MTASTSPolicy.idUnchanged(previousID: "20261201", previousPolicy: old, currentID: "20261203", currentPolicy: new) == nil)
        #expect(MTASTSPolicy.idUnchanged(previousID: "20261201", previousPolicy: old, currentID: "20261201", currentPolicy: old) == nil)
    }
}
