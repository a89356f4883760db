import Foundation
import TestSupport
import Testing

/// The MTA-STS policy fetch end to end (RFC 8461 §3.3): the built binary audits domains served by
/// Knot on 127.0.0.1 and fetches their policies from nginx (and, for the hostile ones, a small
/// Python TLS server) reached with `--connect-to`, trusting the test CA through `--ca-file`.
/// One fixture serves every variant; each variant is a subdomain of `sts.test`.
@Suite struct MTASTSFetchCLITests {
    static let zone = "sts.test"

    /// `version: STSv1`, `mode: enforce`, a week, and the `mx` lines.
    static func policy(_ mx: [String]) -> String {
        "version: STSv1\r\nmode: enforce\r\n" + mx.map { "mx: \($0)\r\n" }.joined() + "max_age: 604800\r\n"
    }

    /// The variants nginx serves, by label: what the policy host sends, and the MX host.
    struct Variant {
        var label: String
        var certificate: TestCA.Certificate? = nil  // nil: the multi-name certificate
        var directives: String = ""
        var body: [UInt8]? = nil
        var mx: String? = nil

        var domain: String { "\(label).\(MTASTSFetchCLITests.zone)" }
        var host: String { "mta-sts.\(domain)" }
        var mxHost: String { mx ?? "mx.\(domain)" }
    }

    static let location = "location = /.well-known/mta-sts.txt"

    /// Where `mta-sts.direct.sts.test` resolves: a loopback address of each fixture's own (all of
    /// 127/8 is loopback on Linux), on which its nginx also listens on port 443, so that variant
    /// is fetched through DNS (Knot) with no --connect-to.
    static func directAddress() -> String { "127.\(Int.random(in: 64...250)).\(Int.random(in: 1...254)).\(Int.random(in: 1...254))" }

    static let variants: [Variant] = [
        Variant(label: "good", body: Array(policy(["mx.good.sts.test"]).utf8)),
        Variant(label: "wildcard", body: Array(policy(["*.wildcard.sts.test"]).utf8)),
        Variant(label: "direct", body: Array(policy(["mx.direct.sts.test"]).utf8)),
        Variant(
            label: "redirect", directives: "\(location) { return 301 https://mta-sts.good.sts.test/.well-known/mta-sts.txt; }",
            body: Array(policy(["mx.redirect.sts.test"]).utf8)),
        Variant(
            label: "ctype", directives: "\(location) { types { } default_type text/html; }",
            body: Array(policy(["mx.ctype.sts.test"]).utf8)),
        Variant(label: "notfound"),
        Variant(label: "large", body: Array((policy(["mx.large.sts.test"]) + String(repeating: "# padding\r\n", count: 7_000)).utf8)),
        Variant(label: "expired", certificate: .expired, body: Array(policy(["mx.expired.sts.test"]).utf8)),
        Variant(label: "wrongname", certificate: .wrongName, body: Array(policy(["mx.wrongname.sts.test"]).utf8)),
        Variant(label: "nomatch", body: Array(policy(["mail.elsewhere.test"]).utf8)),
        Variant(label: "twolabel", body: Array(policy(["*.twolabel.sts.test"]).utf8), mx: "a.mx.twolabel.sts.test"),
        // nginx sends Content-Length, then 1 byte a second: the fetch deadline cuts it.
        Variant(label: "slow", directives: "limit_rate 1; limit_rate_after 0;", body: Array(String(repeating: "x", count: 4_000).utf8)),
        // Served by SlowPolicyServer, not nginx.
        Variant(label: "trickle"),
        Variant(label: "chunked"),
        Variant(label: "garbage"),
        Variant(label: "plain"),
    ]

    /// The variants SlowPolicyServer serves.
    static let pythonServed: Set<String> = ["trickle", "chunked", "garbage", "plain"]

    static func zoneFile(directAddress: String) -> String {
        var text = "$ORIGIN \(zone).\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n"
        for variant in variants {
            let label = variant.label
            let mxRelative = variant.mxHost.dropLast(zone.count + 1)
            text += "\(label) MX 10 \(mxRelative)\n\(mxRelative) A 127.0.0.1\n"
            text += "_mta-sts.\(label) TXT \"v=STSv1; id=20261203\"\n"
            text += "mta-sts.\(label) A \(label == "direct" ? directAddress : "127.0.0.1")\n"
        }
        return text
    }

    /// Knot, nginx, the two Python servers and the CA, for one test.
    struct Fixture {
        var ca: TestCA
        var knot: KnotServer
        var nginx: NginxServer
        var python: [String: SlowPolicyServer]
        var zoneDirectory: String

        func port(for variant: Variant) -> UInt16 { python[variant.label]?.port ?? nginx.port }

        func stop() {
            for server in python.values { server.stop() }
            nginx.stop()
            knot.stop()
            ca.remove()
            try? FileManager.default.removeItem(atPath: zoneDirectory)
        }
    }

    static func withFixture(_ body: (Fixture) async throws -> Void) async throws {
        // The expired certificate names mta-sts.expired.sts.test; the wrong-name one other.invalid.
        let ca = try await TestCA.create(hostName: "mta-sts.expired.\(zone)")
        let issued = try await ProcessRunner.run(
            "/bin/bash", [KnotServer.fixtures("mta-sts/issue-cert.sh"), ca.directory, "hosts"] + variants.map(\.host), timeout: 60)
        try #require(issued.status == 0, "issue-cert.sh: \(issued.stderrText)")
        let hostsCertificate = ca.directory + "/hosts.pem"
        let hostsKey = ca.directory + "/hosts.key"
        let zoneDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("sts-zone-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: zoneDirectory, withIntermediateDirectories: true)
        let directAddress = directAddress()
        try zoneFile(directAddress: directAddress).write(toFile: zoneDirectory + "/\(zone).zone", atomically: true, encoding: .utf8)
        var sites: [NginxServer.Site] = []
        var files: [String: [String: [UInt8]]] = [:]
        for variant in variants where !pythonServed.contains(variant.label) {
            sites.append(NginxServer.Site(
                serverName: variant.host,
                certificate: variant.certificate.map(ca.certificateFile) ?? hostsCertificate,
                key: variant.certificate.map(ca.keyFile) ?? hostsKey,
                directives: variant.label == "direct" ? "listen \(directAddress):443 ssl;" : variant.directives))
            if let body = variant.body { files[variant.host] = [".well-known/mta-sts.txt": body] }
        }
        let knot = try await KnotServer.start(zoneDirectory: zoneDirectory)
        let nginx: NginxServer
        do { nginx = try await NginxServer.start(sites: sites, files: files) } catch {
            knot.stop()
            throw error
        }
        var python: [String: SlowPolicyServer] = [:]
        var fixture = Fixture(ca: ca, knot: knot, nginx: nginx, python: [:], zoneDirectory: zoneDirectory)
        do {
            for mode in [SlowPolicyServer.Mode.trickle, .chunked, .garbage, .plain] {
                python[mode.rawValue] = try await SlowPolicyServer.start(
                    mode: mode, certificate: hostsCertificate, key: hostsKey, body: policy(["mx.chunked.sts.test"]))
            }
        } catch {
            fixture.python = python
            fixture.stop()
            throw error
        }
        fixture.python = python
        defer { fixture.stop() }
        try await body(fixture)
    }

    struct Outcome {
        var result: CLIRunner.Result
        var area: [String: Any]
        var ids: Set<String> { Set((area["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }) }
        var data: [String: Any] { (area["data"] as? [String: Any])?["mtaSts"] as? [String: Any] ?? [:] }
        func finding(_ id: String) -> [String: Any]? {
            (area["findings"] as? [[String: Any]] ?? []).first { $0["id"] as? String == id }
        }
    }

    static func audit(_ variant: Variant, _ fixture: Fixture, extra: [String] = ["--ca-file"], deadline: String = "8")
        async throws -> Outcome
    {
        var arguments = [
            variant.domain, "--nameserver", "127.0.0.1:\(fixture.knot.port)", "--format", "json", "--timeout", "2",
            "--deadline", deadline, "--connect-to", "\(variant.host):443=127.0.0.1:\(fixture.port(for: variant))",
            // The MX hosts resolve to 127.0.0.1, where nothing listens on port 25.
        ]
        if extra == ["--ca-file"] { arguments += ["--ca-file", fixture.ca.caFile] } else { arguments += extra }
        let result = try await CLIRunner.run(arguments)
        let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
        let area = (object["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "mta-sts" } ?? [:]
        return Outcome(result: result, area: area)
    }

    static func variant(_ label: String) -> Variant {
        variants.first { $0.label == label } ?? Variant(label: label)
    }

    @Test func eachPolicyVariantGivesItsFindingAndAGoodPolicyNone() async throws {
        try await Self.withFixture { fixture in
            // A good policy: fetched and parsed, every MX host covered, no finding.
            for label in ["good", "wildcard", "chunked"] {
                let good = try await Self.audit(Self.variant(label), fixture)
                #expect(good.ids.isEmpty, "\(label): \(good.ids) \(good.result.stderr)")
                #expect(good.area["status"] as? String == "pass", "\(label)")
                #expect(good.data["fetched"] as? Bool == true, "\(label): \(good.data)")
                #expect(good.data["httpStatus"] as? Int == 200)
                #expect(good.data["mode"] as? String == "enforce")
                #expect(good.data["maxAge"] as? Int == 604_800)
                let covered = good.data["mxCovered"] as? [[String: Any]] ?? []
                #expect(covered.count == 1 && covered.allSatisfy { $0["covered"] as? Bool == true }, "\(label): \(covered)")
            }
            let expected: [(String, String)] = [
                ("redirect", "mta-sts.policy-redirect"), ("ctype", "mta-sts.policy-content-type"),
                ("notfound", "mta-sts.policy-http-status"), ("large", "mta-sts.policy-too-large"),
                ("expired", "mta-sts.policy-certificate"), ("wrongname", "mta-sts.policy-certificate"),
                ("nomatch", "mta-sts.mx-not-covered"), ("twolabel", "mta-sts.mx-not-covered"),
                ("garbage", "mta-sts.policy-bad-http"), ("plain", "mta-sts.policy-tls"),
            ]
            for (label, id) in expected {
                let outcome = try await Self.audit(Self.variant(label), fixture)
                #expect(outcome.ids == [id], "\(label): \(outcome.ids) \(outcome.result.stderr)")
                #expect(outcome.area["status"] as? String == "fail", "\(label)")
                // 1: findings; 2 when other areas also ask names Knot does not serve (PTR, _dmarc.test).
                #expect([1, 2].contains(outcome.result.status), "\(label): exit \(outcome.result.status)")
            }
            // What each finding says names the cause.
            let redirect = try await Self.audit(Self.variant("redirect"), fixture)
            #expect((redirect.finding("mta-sts.policy-redirect")?["detail"] as? String)?.contains("301") == true)
            #expect(redirect.data["fetched"] as? Bool == false)
            let ctype = try await Self.audit(Self.variant("ctype"), fixture)
            #expect(ctype.data["contentType"] as? String == "text/html")
            let notFound = try await Self.audit(Self.variant("notfound"), fixture)
            #expect(notFound.data["httpStatus"] as? Int == 404)
            let expired = try await Self.audit(Self.variant("expired"), fixture)
            #expect((expired.finding("mta-sts.policy-certificate")?["detail"] as? String)?.contains("expired") == true)
            let wrongName = try await Self.audit(Self.variant("wrongname"), fixture)
            #expect((wrongName.finding("mta-sts.policy-certificate")?["detail"] as? String)?.contains("hostname mismatch") == true)
            let twoLabels = try await Self.audit(Self.variant("twolabel"), fixture)
            let detail = twoLabels.finding("mta-sts.mx-not-covered")?["detail"] as? String ?? ""
            #expect(detail.contains("a.mx.twolabel.sts.test") && detail.contains("exactly one label"), "\(detail)")
            let covered = twoLabels.data["mxCovered"] as? [[String: Any]] ?? []
            #expect(covered.first?["covered"] as? Bool == false)
        }
    }

    @Test func aPolicyHostThatTricklesOrNeverClosesEndsAtTheDeadline() async throws {
        try await Self.withFixture { fixture in
            for label in ["trickle", "slow"] {
                let started = ContinuousClock.now
                // --deadline 4: the fetch gets 2 s.
                let outcome = try await Self.audit(Self.variant(label), fixture, deadline: "4")
                let elapsed = ContinuousClock.now - started
                #expect(outcome.ids == ["mta-sts.policy-timeout"], "\(label): \(outcome.ids) \(outcome.result.stderr)")
                #expect([1, 2].contains(outcome.result.status), "\(label)")
                // Not a timing measurement: the run must end, well before a 60 s hang would.
                #expect(elapsed < .seconds(30), "\(label): \(elapsed)")
            }
        }
    }

    @Test func verboseTextShowsTheResponseAndThePolicy() async throws {
        try await Self.withFixture { fixture in
            let variant = Self.variant("good")
            let result = try await CLIRunner.run([
                variant.domain, "--nameserver", "127.0.0.1:\(fixture.knot.port)", "--verbose", "--ca-file", fixture.ca.caFile,
                "--connect-to", "\(variant.host):443=127.0.0.1:\(fixture.nginx.port)",
            ])
            #expect(result.stdout.contains("HTTP 200, Content-Type: text/plain"), "\(result.stdout)")
            #expect(result.stdout.contains("version: STSv1; mode: enforce; max_age: 604800; mx: mx.good.sts.test"))
            #expect(result.stdout.contains("policy fetched: mode enforce, max_age 604800"))
        }
    }

    @Test func thePolicyHostIsResolvedThroughTheAuditsResolver() async throws {
        try await Self.withFixture { fixture in
            // No --connect-to: mta-sts.direct.sts.test's address comes from Knot.
            let result = try await CLIRunner.run([
                "direct.sts.test", "--nameserver", "127.0.0.1:\(fixture.knot.port)", "--format", "json", "--timeout", "2",
                "--ca-file", fixture.ca.caFile,
            ])
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
            let area = (object["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "mta-sts" } ?? [:]
            let data = (area["data"] as? [String: Any])?["mtaSts"] as? [String: Any] ?? [:]
            #expect(data["fetched"] as? Bool == true, "\(area) \(result.stderr)")
            #expect(data["mode"] as? String == "enforce")
        }
    }

    @Test func theSystemTrustStoreAloneDoesNotTrustTheTestCA() async throws {
        try await Self.withFixture { fixture in
            let outcome = try await Self.audit(Self.variant("good"), fixture, extra: [])
            #expect(outcome.ids == ["mta-sts.policy-certificate"], "\(outcome.ids)")
            // SSL_CERT_FILE is OpenSSL's default verify path: naming the CA there trusts it too.
            let arguments = [
                "good.sts.test", "--nameserver", "127.0.0.1:\(fixture.knot.port)", "--format", "json", "--timeout", "2",
                "--connect-to", "mta-sts.good.sts.test:443=127.0.0.1:\(fixture.nginx.port)",
            ]
            let result = try await CLIRunner.run(arguments, environment: ["SSL_CERT_FILE": fixture.ca.caFile])
            #expect(result.stdout.contains("\"fetched\" : true") || result.stdout.contains("\"fetched\":true"), "\(result.stdout.prefix(400))")
        }
    }

    @Test(arguments: [
        (["--connect-to", "mta-sts.a.test=127.0.0.1:443"], "--connect-to \"mta-sts.a.test=127.0.0.1:443\" is not HOST:PORT=IP:PORT"),
        (["--connect-to", "mta-sts.a.test:443=localhost:8443"], "is not HOST:PORT=IP:PORT"),
        (["--ca-file", "/nonexistent/ca.pem"], "--ca-file /nonexistent/ca.pem: no such readable file"),
    ])
    func aBadProbeOptionIsAUsageErrorNamingIt(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(["a.test", "--zone", KnotServer.fixtures("audit/zones"), "--offline"] + arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func noProbeAndOfflineZonesSayNotCheckedNeverMissing() async throws {
        try await Self.withFixture { fixture in
            let noProbe = try await Self.audit(Self.variant("notfound"), fixture, extra: ["--no-probe"])
            #expect(noProbe.ids == ["mta-sts.policy-not-fetched"], "\(noProbe.ids)")
            #expect(noProbe.area["status"] as? String == "pass")
            #expect((noProbe.finding("mta-sts.policy-not-fetched")?["title"] as? String)?.contains("not checked") == true)
            #expect(noProbe.area["data"] == nil)
            let offline = try await CLIRunner.run([
                "notfound.sts.test", "--zone", fixture.zoneDirectory, "--offline", "--format", "json",
                "--connect-to", "mta-sts.notfound.sts.test:443=127.0.0.1:\(fixture.nginx.port)",
            ])
            #expect(offline.stdout.contains("mta-sts.policy-not-fetched"))
            #expect(!offline.stdout.contains("mta-sts.policy-http-status"))
        }
    }
}
