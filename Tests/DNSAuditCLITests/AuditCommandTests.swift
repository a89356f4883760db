import DNSAudit
import Foundation
import TestSupport
import Testing

/// `dnsaudit DOMAIN`, run as a binary against Knot on loopback serving Tests/Fixtures/audit/zones
/// (one scenario per zone; `broken.test` has no zone file, so Knot answers SERVFAIL for it).
@Suite("dnsaudit DOMAIN end to end", .serialized)
struct AuditCommandTests {
    static let zones = KnotServer.fixtures("audit/zones")

    struct Case: CustomTestStringConvertible, Sendable {
        var domain: String
        var ids: Set<String>
        var exit: Int32
        var arguments: [String] = []
        /// Ids that must not appear.
        var absent: Set<String> = []
        var testDescription: String { domain }
    }

    /// Each domain, the ids it must report, and the exit status.
    static let cases: [Case] = [
        Case(domain: "good.test", ids: ["mta-sts.policy-not-fetched", "bimi.logo-not-fetched", "dnssec.not-validated"], exit: 0),
        Case(domain: "weak.test", ids: [
            "spf.ptr", "spf.all-neutral", "dkim.key.rsa-under-2048", "dkim.key.testing", "dmarc.policy-none", "dmarc.no-rua",
            "mx.target-cname", "mx.duplicate-preference", "mx.fcrdns-mismatch", "mx.no-ptr", "mta-sts.policy-host-missing",
            "dkim.selector-dangling",
            "tls-rpt.bad-uri", "bimi.no-certificate", "bimi.dmarc-not-enforced",
        ], exit: 1, arguments: ["--fail-on", "warning"]),
        Case(domain: "bare.test", ids: ["spf.no-record", "dkim.no-keys", "dmarc.no-record", "mx.none", "mta-sts.none", "tls-rpt.none", "bimi.none"], exit: 1),
        Case(domain: "hidden.test", ids: ["dkim.selector-unknown"], exit: 0),
        Case(
            domain: "hidden.test", ids: ["mx.none"], exit: 1, arguments: ["--selector", "unguessable", "--fail-on", "warning"],
            absent: ["dkim.selector-unknown", "dkim.no-keys"]),
        Case(domain: "nullmx.test", ids: ["mx.null", "dkim.none-for-parked-domain"], exit: 0),
        Case(domain: "nullmixed.test", ids: ["mx.null-mixed"], exit: 1),
        Case(domain: "mxbad.test", ids: ["mx.target-ip-address", "mx.target-no-address", "mx.no-ptr", "mx.fcrdns-mismatch"], exit: 1),
        Case(domain: "manymx.test", ids: ["mx.too-many"], exit: 1),
        Case(domain: "nonexistent.good.test", ids: ["domain.nxdomain"], exit: 1),
        Case(domain: "spfplus.test", ids: [
            "spf.all-pass", "spf.ip-overlap", "spf.include-self", "spf.loop", "spf.redirect-ignored", "spf.unknown-modifier",
        ], exit: 1),
        Case(domain: "spfmulti.test", ids: ["spf.multiple-records", "spf.rr-type-spf"], exit: 1),
        Case(domain: "spflong.test", ids: [
            "spf.record-too-long", "spf.lookup-limit", "spf.include-no-record", "spf.void-limit", "spf.mx-limit",
            "spf.macro-unchecked",
        ], exit: 1),
        Case(domain: "spfmisspelt.test", ids: ["spf.misspelt-mechanism"], exit: 1),
        Case(domain: "spfsyntax.test", ids: ["spf.syntax"], exit: 1),
        Case(domain: "spfnoall.test", ids: ["spf.no-all"], exit: 1),
        Case(domain: "spfredirect.test", ids: ["spf.redirect-no-record"], exit: 1),
        Case(domain: "spfinclude.test", ids: ["spf.loop"], exit: 1),
        Case(domain: "brokeninclude.test", ids: ["spf.dns-failure"], exit: 2),
        Case(domain: "dmarcbad.test", ids: [
            "dmarc.p-not-second", "dmarc.subdomain-policy-weaker", "dmarc.removed-tag", "dmarc.ruf-set", "dmarc.rua-unauthorized",
            "dmarc.ruf-unauthorized", "dmarc.obsolete-size-limit", "dmarc.unknown-tag", "dmarc.testing",
        ], exit: 0),
        Case(domain: "dmarcauth.test", ids: [], exit: 1),
        Case(domain: "dmarcmulti.test", ids: ["dmarc.multiple-records", "dmarc.no-record"], exit: 1),
        Case(domain: "dmarcnot.test", ids: ["dmarc.not-dmarc-record"], exit: 1),
        Case(domain: "dmarcinvalid.test", ids: ["dmarc.invalid-policy", "dmarc.syntax"], exit: 1),
        Case(domain: "dmarcdup.test", ids: ["dmarc.invalid-record"], exit: 1),
        Case(domain: "dmarcsyntax.test", ids: ["dmarc.syntax"], exit: 1),
        Case(domain: "dmarcpsd.test", ids: ["dmarc.psd-misuse"], exit: 1),
        Case(domain: "mail.dmarcsub.test", ids: ["dmarc.record-only-at-subdomain", "dmarc.generations-differ"], exit: 1),
        Case(domain: "dkimbad.test", ids: [
            "dkim.key.rsa-under-1024", "dkim.key.no-sha256", "dkim.key.not-for-email", "dkim.key.unknown-type",
            "dkim.key.undecodable", "dkim.key.revoked", "dkim.key.syntax", "dkim.key.multiple-records",
        ], exit: 1),
        Case(domain: "edonly.test", ids: ["dkim.ed25519-only"], exit: 1),
        Case(domain: "policybad.test", ids: ["mta-sts.multiple", "tls-rpt.multiple", "bimi.multiple"], exit: 1),
        Case(domain: "policysyntax.test", ids: ["mta-sts.syntax", "tls-rpt.syntax", "bimi.syntax"], exit: 1),
        Case(domain: "bimibad.test", ids: ["bimi.bad-logo-uri", "bimi.bad-authority-uri"], exit: 1),
        Case(domain: "broken.test", ids: [
            "spf.dns-failure", "dmarc.dns-failure", "dkim.incomplete", "mx.incomplete", "mta-sts.incomplete",
            "tls-rpt.incomplete", "bimi.incomplete", "dnssec.incomplete",
        ], exit: 2),
    ]

    /// Ids no zone can trigger, and why.
    static let untriggerable: [String: String] = [
        "spf.string-too-long": "a DNS character-string cannot exceed 255 bytes on the wire; the lint guards text given directly",
        // A name within 10 octets of the 253 limit; ReliabilityTests.AuditRegressionTests audits one.
        "dkim.name-too-long": "needs a 244-octet domain; covered by AuditRegressionTests",
        "mta-sts.name-too-long": "needs a 244-octet domain; covered by AuditRegressionTests",
        "tls-rpt.name-too-long": "needs a 244-octet domain; covered by AuditRegressionTests",
        "bimi.name-too-long": "needs a 244-octet domain; covered by AuditRegressionTests",
        "dnssec.bogus": "needs a signed tree and a trust anchor; covered by DNSSECAuditCLITests",
        "dnssec.insecure": "needs a signed tree and a trust anchor; covered by DNSSECAuditCLITests",
        "dnssec.indeterminate": "needs a trust anchor; covered by DNSSECAuditCLITests",
        "dane.tlsa-insecure": "needs a signed tree and a trust anchor; covered by DNSSECAuditCLITests",
        "dane.unusable-usage": "needs a signed tree and a trust anchor; covered by DNSSECAuditCLITests",
        "dane.no-usable-tlsa": "needs a signed tree and a trust anchor; covered by DNSSECAuditCLITests",
        "mta-sts.policy-too-large": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-not-utf8": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-bad-line": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-version": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-mode": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-max-age": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-max-age-short": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-mx-missing": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-mx-invalid": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.policy-duplicate-field": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.mx-not-covered": "the policy fetch waits for the TLS layer; covered by MTASTSPolicyTests",
        "mta-sts.id-unchanged": "needs two fetches of a changed policy; covered by MTASTSPolicyTests",
        "mta-sts.policy-unreachable": "this suite runs with --no-probe; covered by MTASTSFetchCLITests (nginx)",
        "mta-sts.policy-tls": "this suite runs with --no-probe; covered by MTASTSFetchCLITests",
        "mta-sts.policy-certificate": "this suite runs with --no-probe; covered by MTASTSFetchCLITests (nginx)",
        "mta-sts.policy-redirect": "this suite runs with --no-probe; covered by MTASTSFetchCLITests (nginx)",
        "mta-sts.policy-http-status": "this suite runs with --no-probe; covered by MTASTSFetchCLITests (nginx)",
        "mta-sts.policy-content-type": "this suite runs with --no-probe; covered by MTASTSFetchCLITests (nginx)",
        "mta-sts.policy-timeout": "this suite runs with --no-probe; covered by MTASTSFetchCLITests",
        "mta-sts.policy-bad-http": "this suite runs with --no-probe; covered by MTASTSFetchCLITests",
        "mx.smtp-unreachable": "this suite runs with --no-probe; covered by MTASTSFetchCLITests (nothing on port 25)",
        "mx.starttls-missing": "this suite runs with --no-probe; covered by MXTLSCLITests (Postfix)",
        "mx.tls-handshake-failed": "this suite runs with --no-probe; covered by MXTLSCLITests (Postfix)",
        "mx.tls-old-version": "Debian's OpenSSL refuses TLS below 1.2 at both ends; covered by MXTLSProbeTests",
        "mx.tls-certificate": "this suite runs with --no-probe; covered by MXTLSCLITests (Postfix)",
        "dane.tlsa-mismatch": "this suite runs with --no-probe; covered by MXTLSCLITests (Postfix, ldns-dane)",
    ]

    static func audit(_ server: KnotServer, _ testCase: Case) async throws -> (CLIRunner.Result, [String: Any]) {
        let result = try await CLIRunner.run(
            // --no-probe: the fixtures' policy and MX hosts are documentation addresses (192.0.2.x),
            // not servers; MTASTSFetchCLITests runs the probes against real ones on 127.0.0.1.
            [testCase.domain, "--nameserver", "127.0.0.1:\(server.port)", "--format", "json", "--timeout", "2", "--no-probe"]
                + testCase.arguments)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        return (result, object)
    }

    static func ids(_ report: [String: Any]) -> Set<String> {
        let areas = report["areas"] as? [[String: Any]] ?? []
        return Set(areas.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } })
    }

    @Test func eachDomainReportsItsFindingsAndExitStatus() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"]) { server in
            var seen: Set<String> = []
            for testCase in Self.cases {
                let (result, report) = try await Self.audit(server, testCase)
                let found = Self.ids(report)
                seen.formUnion(found)
                #expect(result.status == testCase.exit, "\(testCase.domain): exit \(result.status), ids \(found.sorted())")
                #expect(testCase.ids.isSubset(of: found), "\(testCase.domain): missing \(testCase.ids.subtracting(found).sorted())")
                #expect(testCase.absent.isDisjoint(with: found), "\(testCase.domain): unexpected \(testCase.absent.intersection(found).sorted())")
                #expect(report["domain"] as? String == testCase.domain)
                #expect(result.stderr.isEmpty, "\(testCase.domain): \(result.stderr)")
            }
            let expected = Set(FindingCatalog.all).subtracting(Self.untriggerable.keys)
            #expect(expected.subtracting(seen).isEmpty, "never triggered: \(expected.subtracting(seen).sorted())")
            #expect(seen.subtracting(FindingCatalog.all).isEmpty, "not in the catalog: \(seen.subtracting(FindingCatalog.all).sorted())")
        }
    }

    @Test func aServerFailureIsIncompleteNeverMissing() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"]) { server in
            let (result, report) = try await Self.audit(server, Case(domain: "broken.test", ids: [], exit: 2))
            #expect(result.status == 2)
            #expect(report["status"] as? String == "incomplete")
            let found = Self.ids(report)
            for missing in ["spf.no-record", "dmarc.no-record", "dkim.no-keys", "mx.none", "mta-sts.none"] {
                #expect(!found.contains(missing), "\(missing) reported for a SERVFAIL zone")
            }
            let areas = report["areas"] as? [[String: Any]] ?? []
            #expect(areas.allSatisfy { $0["status"] as? String == "incomplete" })
        }
    }

    @Test func printsAGroupedTextReportWithASummaryLine() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(["weak.test", "--nameserver", "127.0.0.1:\(server.port)", "--no-probe"])
            #expect(result.status == 1, "weak.test has two errors (?all, a DKIM key in testing)")
            for heading in ["SPF", "DKIM", "DMARC", "MX", "MTA-STS", "TLS-RPT", "BIMI", "DNSSEC", "Bulk-sender readiness"] {
                #expect(result.stdout.contains(heading))
            }
            #expect(result.stdout.contains("fix: "))
            #expect(!result.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
            let last = result.stdout.split(separator: "\n").last.map(String.init) ?? ""
            #expect(last.hasPrefix("weak.test: sending FAIL · receiving WARN · brand WARN — 2 errors"), "\(last)")
        }
    }

    @Test func auditsManyDomainsAsJSONLinesInInputOrder() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("domains-\(UUID()).txt")
            try "# a comment\ngood.test\n\nbare.test\nweak.test\n".write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let result = try await CLIRunner.run([
                "--domains-file", file.path, "hidden.test", "--nameserver", "127.0.0.1:\(server.port)", "--format", "jsonl",
                "--concurrency", "2", "--no-probe",
            ])
            let lines = result.stdout.split(separator: "\n")
            #expect(lines.count == 4)
            let domains = try lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }.map { $0?["domain"] as? String }
            #expect(domains == ["hidden.test", "good.test", "bare.test", "weak.test"])
            #expect(result.status == 1, "bare.test has errors")
        }
    }

    /// The README's main command: shop.example is clean, the other two are broken on purpose.
    @Test func theReadmeExampleAuditsTheBundledZones() async throws {
        let result = try await CLIRunner.run([
            "--zone", KnotServer.fixtures("../../Examples/zones"), "--offline", "shop.example", "legacy.example", "nothing.example",
            "--format", "jsonl",
        ])
        #expect(result.status == 1)
        var statuses: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let report = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            statuses[report["domain"] as? String ?? "?"] = report["status"] as? String
        }
        #expect(statuses["shop.example"] == "pass")
        #expect(statuses["legacy.example"] == "fail")
        #expect(statuses["nothing.example"] == "fail")
    }

    @Test(arguments: [
        (["exa mple.com"], "not allowed in a host name"),
        (["example.com", "--concurrency", "0"], "--concurrency"),
        (["--domains-file", "/nonexistent/list"], "cannot read"),
        (["example.com", "--selector", "bad selector"], "--selector"),
        ([String](), "give at least one domain"),
    ])
    func rejectsBadInputAsAUsageError(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(["audit"] + arguments)
        #expect(result.status == 64, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
