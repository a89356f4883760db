import DNSCore
import Foundation
import SPF
import TestSupport
import Testing

/// pyspf, the RFC 7208 reference implementation, run as a subprocess against the same Knot server
/// on 127.0.0.1 as check_host() and the static analysis: the void lookups of `ptr`, a macro
/// `exists` and an exchanger without AAAA (issue 13) give the same result and count in all three.
enum Pyspf {
    static let python = "/usr/bin/python3"
    static let driver = Fixtures.directory.appendingPathComponent("interop/pyspf_driver.py").path

    /// Whether pyspf, dnspython and knotd are installed (scripts/install-deps --test installs them).
    static let available: Bool = {
        guard KnotServer.knotd != nil, FileManager.default.isExecutableFile(atPath: python) else { return false }
        return ProcessRunner.succeeds(python, ["-c", "import spf, dns.resolver"])
    }()

    struct Check: Sendable, CustomTestStringConvertible {
        var ip: String
        var domain: String
        var testDescription: String { "\(ip) for \(domain)" }
    }

    struct Verdict: Equatable {
        var result: String
        var voids: Int
    }

    struct DriverError: Error, CustomStringConvertible {
        var description: String
    }

    /// pyspf's result and void-lookup count for each check, as `alice@<domain>`.
    static func check(_ checks: [Check], port: UInt16) async throws -> [Verdict] {
        let request: [String: Any] = [
            "port": Int(port),
            "checks": checks.map { ["ip": $0.ip, "sender": "alice@\($0.domain)", "helo": "mail.\($0.domain)"] },
        ]
        let output = try await ProcessRunner.run(python, [driver], input: try JSONSerialization.data(withJSONObject: request))
        guard output.status == 0, let json = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any],
            let results = json["results"] as? [[String: Any]], results.count == checks.count
        else { throw DriverError(description: "pyspf driver exited \(output.status): \(output.stderrText)") }
        return try results.map { entry in
            guard let result = entry["result"] as? String, let voids = entry["voids"] as? Int else {
                throw DriverError(description: "unexpected pyspf output \(entry)")
            }
            return Verdict(result: result, voids: voids)
        }
    }
}

@Suite("SPF void lookups: pyspf, check_host() and the analysis agree", .enabled(if: Pyspf.available, "pyspf (python3-spf, python3-dnspython) or knotd is not installed"))
struct PyspfInteropTests {
    /// Clients without reverse DNS (the zones hold empty reverse zones, so PTR answers NXDOMAIN).
    static let checks = [
        Pyspf.Check(ip: "192.0.2.10", domain: "voids.test"), Pyspf.Check(ip: "2001:db8::10", domain: "voids.test"),
        Pyspf.Check(ip: "192.0.2.10", domain: "dual.voids.test"), Pyspf.Check(ip: "2001:db8::10", domain: "dual.voids.test"),
        Pyspf.Check(ip: "192.0.2.99", domain: "voids.test"),
    ]

    @Test func checkHostGivesPyspfsResultAndVoidCount() async throws {
        try await KnotServer.with(zoneDirectory: KnotServer.fixtures("spf/zones")) { server in
            let pyspf = try await Pyspf.check(Self.checks, port: server.port)
            let evaluator = SPFEvaluator(resolver: server.resolver(), timeout: .seconds(60))
            for (check, reference) in zip(Self.checks, pyspf) {
                let ip = try #require(IPAddress(check.ip))
                let outcome = await evaluator.evaluateMailFrom(ip: ip, mailFrom: "alice@\(check.domain)", helo: "mail.\(check.domain)")
                let ours = Pyspf.Verdict(result: outcome.result.rawValue, voids: outcome.voidLookups)
                #expect(ours == reference, "\(check.testDescription): \(outcome.trace.rendered())")
            }
            // The case: three void lookups for an IPv6 client; two are within the limit.
            #expect(pyspf.map(\.result) == ["fail", "permerror", "fail", "fail", "pass"])
            #expect(pyspf.map(\.voids) == [2, 3, 2, 2, 1])
        }
    }

    /// The analysis's worst case is what pyspf meets for a client without reverse DNS that the
    /// `exists` term does not list.
    @Test func theAnalysisCountsWhatPyspfMeetsForAnUnlistedClient() async throws {
        try await KnotServer.with(zoneDirectory: KnotServer.fixtures("spf/zones")) { server in
            let unlisted = Array(Self.checks.prefix(4))
            let pyspf = try await Pyspf.check(unlisted, port: server.port)
            for (check, reference) in zip(unlisted, pyspf) {
                let analysis = await SPFChecker(resolver: server.resolver()).check(try DomainName(check.domain))
                #expect(!analysis.incomplete)
                let count = check.ip.contains(":") ? analysis.ipv6 : analysis.ipv4
                #expect(count.voidLookups == reference.voids, "\(check.testDescription)")
                // spf.void-limit exactly when pyspf gives one of the domain's clients permerror.
                let reported = analysis.findings.contains { $0.id == "spf.void-limit" && $0.severity == .error }
                let permerror = zip(unlisted, pyspf).contains { $0.0.domain == check.domain && $0.1.result == "permerror" }
                #expect(reported == permerror, "\(check.testDescription): \(analysis.findings.map(\.id))")
            }
        }
    }
}
