import Foundation
import TestSupport
import Testing

/// One exit-status contract for every checking command (issue 14): 0 when no finding is at or
/// above --fail-on, 1 when some are, 2 when DNS failures left the check incomplete, 64 on a
/// usage error. Each case runs the built binary on the bundled example zones.
@Suite struct ExitStatusContractTests {
    static let zones = KnotServer.fixtures("../../Examples/zones")

    struct Case: Sendable, CustomStringConvertible {
        var arguments: [String]
        var exit: Int32
        var description: String { arguments.joined(separator: " ") + " → \(exit)" }
    }

    @Test(arguments: [
        // legacy.example: ?all (error), p=none (warning), a t=y RSA-1024 key (error, warning).
        Case(arguments: ["spf", "legacy.example"], exit: 1),
        Case(arguments: ["spf", "legacy.example", "--ip", "192.0.2.99"], exit: 1),
        Case(arguments: ["spf", "shop.example"], exit: 0),
        Case(arguments: ["spf", "shop.example", "--ip", "203.0.113.9"], exit: 0),  // a fail result is no finding
        Case(arguments: ["spf", "nothing.example"], exit: 1),  // no SPF record: an error
        Case(arguments: ["dmarc", "legacy.example"], exit: 0),  // p=none, no rua: warnings only
        Case(arguments: ["dmarc", "legacy.example", "--fail-on", "warning"], exit: 1),
        Case(arguments: ["dmarc", "nothing.example"], exit: 1),  // no DMARC record: an error
        Case(arguments: ["dmarc", "shop.example", "--fail-on", "warning"], exit: 0),
        Case(arguments: ["dkim", "testkey", "--domain", "legacy.example", "--selector", "default"], exit: 1),  // t=y
        Case(arguments: ["dkim", "testkey", "--domain", "shop.example", "--selector", "mail", "--fail-on", "info"], exit: 0),
        Case(arguments: ["dkim", "testkey", "--domain", "shop.example", "--selector", "nope"], exit: 1),
        Case(arguments: ["legacy.example"], exit: 1),
        Case(arguments: ["shop.example", "--fail-on", "warning"], exit: 0),
        Case(arguments: ["spf", "shop.example", "--fail-on", "sometimes"], exit: 64),
        Case(arguments: ["dmarc", "shop.example", "--fail-on", "sometimes"], exit: 64),
    ])
    func everyCheckingCommandExitsByTheSameRule(_ test: Case) async throws {
        let result = try await CLIRunner.run(test.arguments + ["--zone", Self.zones, "--offline"])
        #expect(result.status == test.exit, "\(test): \(result.stdout.suffix(300)) \(result.stderr)")
    }

    @Test func spfAndDMARCJSONAgreeWithTheExitStatus() async throws {
        for command in ["spf", "dmarc"] {
            let result = try await CLIRunner.run([command, "nothing.example", "--format", "json", "--zone", Self.zones, "--offline"])
            let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
            let severities = (object["findings"] as? [[String: Any]] ?? []).compactMap { $0["severity"] as? String }
            #expect(severities.contains("error"), "\(command): \(severities)")
            #expect(result.status == 1, "\(command)")
        }
    }
}
