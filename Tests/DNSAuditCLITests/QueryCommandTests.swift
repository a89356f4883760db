import Foundation
import TestSupport
import Testing

/// `dnsaudit query`, run as a binary against Knot on loopback.
@Suite struct QueryCommandTests {
    static let zones = KnotServer.fixtures("dns/zones")

    @Test func printsEveryRecordOfAnRRsetThatNeededTCP() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run(["query", "big.example.test", "TXT", "--nameserver", "127.0.0.1:\(server.port)"])
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.stdout.split(separator: "\n").filter { $0.hasPrefix("big.example.test.") }
            #expect(lines.count == 40)
            #expect(result.stdout.contains("transport TCP"))
            #expect(result.stdout.contains("needed TCP"))
        }
    }

    @Test func givesJSONWithTheOutcome() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let result = try await CLIRunner.run([
                "query", "nothing.example.test", "A", "--nameserver", "127.0.0.1:\(server.port)", "--format", "json",
            ])
            #expect(result.status == 0)
            let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
            #expect(object?["outcome"] as? String == "nxdomain")
            #expect(object?["rcode"] as? String == "NXDOMAIN")
        }
    }

    @Test func exitsWith2WhenTheServerFails() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones, brokenZones: ["broken.test"]) { server in
            let result = try await CLIRunner.run(["query", "broken.test", "TXT", "--nameserver", "127.0.0.1:\(server.port)"])
            #expect(result.status == 2)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.contains("SERVFAIL"))
        }
    }

    @Test(arguments: [
        (["query", "exa mple.com"], "not allowed in a host name"),
        (["query", "example.com", "BOGUS"], "unknown record type"),
        (["query", "example.com", "--nameserver", "300.1.1.1"], "is not an IP address"),
        (["query", "example.com", "--zone", "/nonexistent", "--offline"], "no such file"),
    ])
    func rejectsBadInputAsAUsageError(arguments: [String], message: String) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 64)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }
}
