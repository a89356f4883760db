import Benchmark
import CheckHostPass
import DNSCore
import DNSLDNS
import Foundation
import SPF

// Parsing and check_host() on an in-memory zone with a 4-level include tree:
// example.com → 2 includes → each 2 includes → each 1 include (1 + 2 + 4 + 4 records, 10
// DNS-querying terms in all, just inside the limit of RFC 7208 §4.6.4).

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5))

    let typical = "v=spf1 ip4:192.0.2.0/24 ip4:198.51.100.0/24 ip6:2001:db8::/32 a:mail.example.com/28//64 "
        + "mx include:_spf.example.net exists:%{ir}.%{l1r+-}._spf.%{d} redirect=_spf.example.org exp=why.%{d}"

    Benchmark("SPF parse", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? SPFRecord.parse(typical))
        }
    }

    // Level 1: example.com includes l2-0 and l2-1; level 2 each includes two level-3 records; level 3
    // each includes one level-4 record, which lists the ranges.
    var records: [ResourceRecord] = []
    func txt(_ name: String, _ text: String) {
        records.append(ResourceRecord(name: try! DomainName(name), data: .txt(TXTData(text: text))))
    }
    txt("example.com", "v=spf1 include:l2-0.example.net include:l2-1.example.net ip4:203.0.113.0/24 -all")
    for a in 0..<2 {
        txt("l2-\(a).example.net", "v=spf1 include:l3-\(a)-0.example.net include:l3-\(a)-1.example.net ~all")
        for b in 0..<2 {
            txt("l3-\(a)-\(b).example.net", "v=spf1 include:l4-\(a)-\(b).example.net ?all")
            txt("l4-\(a)-\(b).example.net", "v=spf1 ip4:198.51.\(a * 2 + b).0/24 ip6:2001:db8:\(a * 2 + b)::/48 -all")
        }
    }
    let zone = ZoneResolver(records: records)
    let evaluator = SPFEvaluator(resolver: zone)
    let lastBranch = IPAddress("198.51.3.7")!  // matched in the last level-4 record, the 10th DNS-querying term
    let nowhere = IPAddress("192.0.2.99")!  // matches nothing: the whole tree, then -all

    Benchmark("SPF check_host, 4-level include tree, pass in the last branch") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(await evaluator.evaluateMailFrom(ip: lastBranch, mailFrom: "a@example.com", helo: "mx.example.com"))
        }
    }

    Benchmark("SPF check_host, 4-level include tree, fail") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(await evaluator.evaluateMailFrom(ip: nowhere, mailFrom: "a@example.com", helo: "mx.example.com"))
        }
    }

    // check_host() over the generated domains against Knot on loopback (scripts/compare-pyspf
    // starts the server and sets the variables; scripts/bench does too): the client IP matches
    // nothing, so every domain's whole tree is evaluated, as pyspf does beside it in that script.
    // A cold cache each pass; one domain at a time (as pyspf runs), 8 and 32 at a time; and 32 at
    // a time without the trace (results only, as pyspf computes them).
    let environment = ProcessInfo.processInfo.environment
    guard let server = environment["DNSAUDIT_BENCH_BULK_NAMESERVER"].flatMap(Nameserver.init),
        let list = environment["DNSAUDIT_BENCH_BULK_DOMAINS"].flatMap({ try? String(contentsOfFile: $0, encoding: .utf8) }),
        let client = IPAddress("192.0.2.99")
    else { return }
    let domains = list.split(separator: "\n").map(String.init)
    let scale = BenchmarkScalingFactor.one
    for (concurrency, recordsTrace) in [(1, true), (8, true), (32, true), (32, false)] {
        Benchmark(
            "SPF check_host generated domains against Knot, \(concurrency) at a time\(recordsTrace ? "" : ", no trace")",
            configuration: .init(scalingFactor: scale, maxDuration: .seconds(20), maxIterations: 5)
        ) { benchmark in
            for _ in benchmark.scaledIterations {
                await checkHostPass(domains, server: server, client: client, concurrency: concurrency, recordsTrace: recordsTrace)
            }
        }
    }
}
