import Benchmark
import DNSAudit
import DNSCore
import DNSLDNS
import Foundation

// The audit: one domain from a warm cache (zone data, no network), and 1,000 generated domains
// against a Knot server on loopback. scripts/bench generates the zones and starts the server,
// and sets DNSAUDIT_BENCH_BULK_NAMESERVER and DNSAUDIT_BENCH_BULK_DOMAINS; without them the
// bulk benchmark is skipped.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident], maxDuration: .seconds(10))

    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let zoneDirectory = root.appendingPathComponent("Tests/Fixtures/audit/zones").path
    let files = ((try? FileManager.default.contentsOfDirectory(atPath: zoneDirectory)) ?? [])
        .filter { $0.hasSuffix(".zone") }.map { zoneDirectory + "/" + $0 }
    if let zone = try? ZoneResolver(zoneFiles: files) {
        let auditor = Auditor(resolver: zone)
        let domain = try! DomainName("good.test")
        Benchmark("Audit one domain, warm cache") { benchmark in
            _ = await auditor.audit(domain)  // warm the cache
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(await auditor.audit(domain))
            }
        }
    }

    let environment = ProcessInfo.processInfo.environment
    guard let server = environment["DNSAUDIT_BENCH_BULK_NAMESERVER"].flatMap(Nameserver.init),
        let list = environment["DNSAUDIT_BENCH_BULK_DOMAINS"].flatMap({ try? String(contentsOfFile: $0, encoding: .utf8) })
    else { return }
    let domains = list.split(separator: "\n").compactMap { try? DomainName(String($0)) }

    Benchmark("Audit 1,000 domains against Knot, 8 at a time", configuration: .init(maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            let auditor = Auditor(resolver: LDNSResolver(nameservers: [server]))  // a cold cache each time
            await withTaskGroup(of: Void.self) { group in
                var next = 0
                for _ in 0..<8 {
                    let domain = domains[next]
                    next += 1
                    group.addTask { blackHole(await auditor.audit(domain)) }
                }
                while await group.next() != nil, next < domains.count {
                    let domain = domains[next]
                    next += 1
                    group.addTask { blackHole(await auditor.audit(domain)) }
                }
            }
        }
    }
}
