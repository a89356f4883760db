import Foundation
import TestSupport
import Testing

/// `dnsaudit spf`, run as a binary: offline with `--zone`, and against Knot for a SERVFAIL.
@Suite struct SPFCommandTests {
    static let zones = KnotServer.fixtures("spf/zones")

    func json(_ result: CLIRunner.Result) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func checkHostAsJSON() async throws {
        let result = try await CLIRunner.run(["spf", "spf.test", "--zone", Self.zones, "--offline", "--ip", "192.0.2.130", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try json(result)
        #expect(object["result"] as? String == "pass")
        #expect(object["matchedTerm"] as? String == "include:_spf.spf.test")
        #expect(object["dnsLookups"] as? Int == 2)
        #expect(object["voidLookups"] as? Int == 0)
        #expect(object["explanation"] == nil, "a pass has no explanation: the key is absent, not null")
        #expect(object["findings"] is [Any])
        #expect((object["trace"] as? [String: Any])?["domain"] as? String == "spf.test")
    }

    @Test func aFailIsStillExitZero() async throws {
        let result = try await CLIRunner.run(["spf", "spf.test", "--zone", Self.zones, "--offline", "--ip", "2001:db8:99::1", "--trace"])
        #expect(result.status == 0)
        #expect(result.stdout.contains(": fail"))
        #expect(result.stdout.contains("mail.spf.test. AAAA → nodata (void)"))
    }

    @Test func staticAnalysisReportsBothFamilies() async throws {
        let result = try await CLIRunner.run(["spf", "spf.test", "--zone", Self.zones, "--offline", "--format", "json"])
        #expect(result.status == 0)
        let object = try json(result)
        #expect((object["ipv4"] as? [String: Any])?["voidLookups"] as? Int == 0)
        #expect((object["ipv6"] as? [String: Any])?["voidLookups"] as? Int == 1)
        #expect(object["result"] == nil, "no evaluation: the key is absent, not null")
    }

    @Test(.enabled(if: KnotServer.knotd != nil)) func temperrorExitsWith2() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"]) { server in
            let result = try await CLIRunner.run([
                "spf", "temp.spf.test", "--ip", "192.0.2.1", "--nameserver", "127.0.0.1:\(server.port)", "--timeout", "2",
            ])
            #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
            #expect(result.stdout.contains("temperror"))
        }
    }

    @Test(arguments: [
        (["spf", "exa mple.com"], "not allowed"),
        (["spf", "example.com", "--ip", "192.0.2.300"], "not an IPv4 or IPv6 address"),
        (["spf", "example.com", "--helo", "mail.example.com"], "need --ip"),
    ])
    func badInputIsAUsageError(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
