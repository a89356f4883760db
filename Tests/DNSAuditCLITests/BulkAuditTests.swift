import Foundation
import TestSupport
import Testing

/// 1,000 generated domains (scripts/generate-zones) served by Knot on loopback, audited in one
/// run with --format jsonl. Timings are measured in Benchmarks/, not asserted here.
@Suite struct BulkAuditTests {
    @Test func auditsAThousandGeneratedDomains() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-bulk-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let generated = try await ProcessRunner.run(
            "/usr/bin/env", ["python3", KnotServer.fixtures("../../scripts/generate-zones"), "1000", directory])
        try #require(generated.status == 0, "\(generated.stderrText)")
        let listing = generated.stdout
        let domains = String(decoding: listing, as: UTF8.self).split(separator: "\n").map(String.init)
        #expect(domains.count == 1000)
        let list = directory + "/domains.txt"
        try (domains.joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)

        try await KnotServer.with(zoneDirectory: directory) { server in
            let result = try await CLIRunner.run(
                ["--domains-file", list, "--nameserver", "127.0.0.1:\(server.port)", "--format", "jsonl", "--no-probe"], timeout: 300)
            var reports: [[String: Any]] = []
            for line in result.stdout.split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
                reports.append(object as? [String: Any] ?? [:])
            }
            #expect(reports.count == 1000)
            #expect(reports.map { $0["domain"] as? String } == domains, "in input order")
            var statuses: [String: Int] = [:]
            for report in reports { statuses[report["status"] as? String ?? "?", default: 0] += 1 }
            // The generator's mix: 60% good domains (warnings); 20% weak ones, whose DKIM key is in
            // testing (t=y: receivers treat their mail as unsigned, an error); 10% bare and 10%
            // broken (errors).
            #expect(statuses["incomplete"] == nil, "\(statuses)")
            #expect(statuses["fail"] == 400, "\(statuses)")
            #expect(statuses["warn"] == 600, "\(statuses)")
            // Every tenth domain (index ending in 9) has a broken SPF record.
            let broken = reports.filter { ($0["domain"] as? String)?.hasSuffix("9.test") == true }
            for report in broken {
                let areas = report["areas"] as? [[String: Any]] ?? []
                let ids = areas.flatMap { ($0["findings"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String } }
                #expect(ids.contains("spf.lookup-limit") && ids.contains("spf.loop"), "\(report["domain"] ?? "")")
            }
            #expect(result.status == 1)
        }
    }
}
