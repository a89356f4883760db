import Foundation
import TestSupport
import Testing

/// Usage errors name the real problem, and the usage printed is the command's that failed
/// (issue 14). Each runs the built binary; every case exits 64.
@Suite struct UsageErrorTests {
    struct Case: Sendable, CustomStringConvertible {
        var arguments: [String]
        /// Text the error must contain.
        var says: String
        /// The command whose usage follows.
        var usage: String
        var description: String { arguments.joined(separator: " ") }
    }

    static let key = KnotServer.fixtures("dkim/dkimpy/data/2048_testkey.key")

    static func brokenZone() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).zone").path
        let long = String(repeating: "a", count: 300)
        try "$ORIGIN b.test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n@ TXT \"\(long)\"\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(arguments: [
        Case(arguments: ["--bogus"], says: "Unknown option '--bogus'", usage: "dnsaudit audit"),
        Case(arguments: ["--deadline", "0", "x.example"], says: "--deadline 0 is out of range: give more than 0", usage: "dnsaudit audit"),
        Case(arguments: ["--deadline", "601", "x.example"], says: "at most 600 seconds", usage: "dnsaudit audit"),
        Case(arguments: ["--concurrency", "-1", "x.example"], says: "--concurrency -1 is out of range: give 1 to 1024", usage: "dnsaudit audit"),
        Case(arguments: ["--concurrency", "0", "x.example"], says: "--concurrency 0 is out of range", usage: "dnsaudit audit"),
        Case(arguments: ["--verbose"], says: "give at least one domain", usage: "dnsaudit audit"),
        Case(arguments: ["--zone", "/nonexistent/zones", "x.example"], says: "--zone /nonexistent/zones: no such file", usage: "dnsaudit audit"),
        Case(arguments: ["spf", "--zone", "/nonexistent/zones", "x.example"], says: "--zone /nonexistent/zones", usage: "dnsaudit spf"),
        Case(arguments: ["dkim", "sign", "--key", "/nonexistent.key", "--domain", "a.test", "--selector", "s"],
             says: "--key /nonexistent.key: cannot read", usage: "dnsaudit dkim sign"),
        Case(arguments: ["dkim", "testkey", "--key", "/nonexistent.key", "--domain", "a.test", "--selector", "s", "--nameserver", "127.0.0.1:1"],
             says: "--key /nonexistent.key", usage: "dnsaudit dkim testkey"),
        Case(arguments: ["dkim", "sign", "--key", key, "--domain", "a.test", "--selector", "s", "--identity", "x@b.test"],
             says: "--identity x@b.test is outside --domain a.test", usage: "dnsaudit dkim sign"),
        Case(arguments: ["dkim", "sign", "--key", key, "--domain", "a.test", "--selector", "s", "--identity", "nobody"],
             says: "--identity \"nobody\" is not an address", usage: "dnsaudit dkim sign"),
    ])
    func aUsageErrorNamesTheProblemAndTheCommandsUsage(_ test: Case) async throws {
        let message = "From: a@a.test\r\nSubject: x\r\n\r\nhi\r\n"
        let result = try await CLIRunner.run(test.arguments, stdin: Array(message.utf8))
        #expect(result.status == 64, "\(test): \(result.stderr)")
        #expect(result.stderr.contains(test.says), "\(test): \(result.stderr)")
        #expect(result.stderr.contains("Usage: \(test.usage) "), "\(test): \(result.stderr)")
        #expect(result.stderr.contains("See '\(test.usage) --help'"), "\(test): \(result.stderr)")
        #expect(result.stdout.isEmpty, "\(test): \(result.stdout)")
    }

    @Test func anUnknownOptionIsNeverReportedAsAMissingDomain() async throws {
        let result = try await CLIRunner.run(["--bogus"])
        #expect(!result.stderr.contains("give at least one domain"), "\(result.stderr)")
    }

    @Test(arguments: [[], ["spf"], ["dmarc"]])
    func aBrokenZoneFileIsAUsageErrorOfTheCommandThatReadIt(command: [String]) async throws {
        let zone = try Self.brokenZone()
        defer { try? FileManager.default.removeItem(atPath: zone) }
        let result = try await CLIRunner.run(command + ["b.test", "--zone", zone, "--offline"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("\(zone):4:") && result.stderr.contains("split it into several quoted strings"), "\(result.stderr)")
        let name = (["dnsaudit"] + (command.isEmpty ? ["audit"] : command)).joined(separator: " ")
        #expect(result.stderr.contains("Usage: \(name) "), "\(result.stderr)")
    }
}
