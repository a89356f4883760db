import Foundation
import TestSupport
import Testing

/// `--zone` as a pre-deploy check on real-world shapes: the user's zone comes from a file
/// (Tests/Fixtures/predeploy), while the provider zones it includes, CNAMEs into and sends MX
/// to are live on Knot (Tests/Fixtures/regressions/zones, where `b.test` is the provider).
@Suite("--zone: names outside the files are asked, or offline not checked", .serialized)
struct PreDeployTests {
    static let userZone = KnotServer.fixtures("predeploy")
    static let providerZones = KnotServer.fixtures("regressions/zones")

    static func ids(_ report: [String: Any]) -> Set<String> {
        let areas = report["areas"] as? [[String: Any]] ?? []
        return Set(areas.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } })
    }

    static func run(_ arguments: [String]) async throws -> (CLIRunner.Result, [String: Any]) {
        let result = try await CLIRunner.run(["shop.test", "--zone", userZone, "--format", "json", "--timeout", "2", "--no-probe"] + arguments)
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result, report)
    }

    /// What the old strict `--zone` reported for every domain that includes a provider.
    static let falseErrors = [
        "spf.include-no-record", "mx.target-no-address", "dkim.no-keys", "dkim.selector-unknown", "dmarc.no-record",
    ]

    @Test func namesOutsideTheFilesAreAskedOverTheNetwork() async throws {
        try await KnotServer.with(zoneDirectory: Self.providerZones) { server in
            let (result, report) = try await Self.run(["--nameserver", "127.0.0.1:\(server.port)"])
            let ids = Self.ids(report)
            #expect(result.status == 0, "exit \(result.status): \(ids.sorted()) \(result.stderr)")
            #expect(report["status"] as? String != "incomplete")
            for wrong in Self.falseErrors { #expect(!ids.contains(wrong), "\(wrong) for a name outside the zone file") }
            let resolver = report["resolver"] as? String ?? ""
            #expect(resolver.contains("shop.test.zone") && resolver.contains("127.0.0.1:\(server.port)"),
                    "the report says which answers came from the files: \(resolver)")
        }
    }

    @Test func offlineReportsNamesOutsideTheFilesAsNotCheckedNeverMissing() async throws {
        let (result, report) = try await Self.run(["--offline"])
        let ids = Self.ids(report)
        #expect(result.status == 2, "not checked is incomplete: exit \(result.status) \(ids.sorted())")
        for wrong in Self.falseErrors { #expect(!ids.contains(wrong), "\(wrong) reported offline") }
        #expect(ids.contains("spf.dns-failure") && ids.contains("mx.incomplete"), "\(ids.sorted())")
        #expect(result.stdout.contains("outside the zone"), "the finding says why it was not checked")
    }

    @Test func offlineWithoutZoneFilesIsAUsageError() async throws {
        let result = try await CLIRunner.run(["shop.test", "--offline"])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--offline needs --zone"), "\(result.stderr)")
    }
}

/// A resolver that does not reply is the resolver's problem, said once, not each domain's.
@Suite("A dead resolver: one line, exit 2")
struct DeadResolverTests {
    static func expectOneLine(_ result: CLIRunner.Result, naming server: String) {
        #expect(result.status == 2, "exit \(result.status)")
        #expect(result.stdout.isEmpty, "no report: \(result.stdout.prefix(300))")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("no nameserver answered") && result.stderr.contains(server), "\(result.stderr)")
    }

    @Test func aClosedPortIsReportedOnce() async throws {
        // Port 1 on loopback: nothing listens, so the kernel refuses at once.
        let result = try await CLIRunner.run(["a.test", "--nameserver", "127.0.0.1:1"])
        Self.expectOneLine(result, naming: "127.0.0.1:1")
    }

    @Test func aBulkRunAgainstASilentServerStopsWithOneLine() async throws {
        let silent = try SilentServer()
        let domains = (0..<1_000).map { "d\($0).test\n" }.joined()
        let result = try await CLIRunner.run(
            ["--domains-file", "-", "--nameserver", "127.0.0.1:\(silent.port)", "--timeout", "0.3", "--attempts", "1",
             "--format", "jsonl"],
            stdin: Array(domains.utf8), timeout: 30)
        Self.expectOneLine(result, naming: "127.0.0.1:\(silent.port)")
        #expect(result.stderr.contains("timed out"), "\(result.stderr)")
    }

    @Test func aDeadResolverBehindZoneFilesSuggestsOffline() async throws {
        let result = try await CLIRunner.run(["shop.test", "--zone", PreDeployTests.userZone, "--nameserver", "127.0.0.1:1"])
        Self.expectOneLine(result, naming: "127.0.0.1:1")
        #expect(result.stderr.contains("--offline"))
    }
}
