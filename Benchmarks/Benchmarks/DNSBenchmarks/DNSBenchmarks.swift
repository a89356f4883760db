import Benchmark
import DNSCore
import DNSLDNS
import Foundation

// Queries/s through LDNSResolver against a Knot server on loopback, sequential and with 64 in
// flight, and lookups/s through ZoneResolver.
//
// The LDNS benchmarks need a server: set DNSAUDIT_BENCH_NAMESERVER=127.0.0.1:PORT serving
// Tests/Fixtures/dns/zones (scripts/bench starts one). Without it they are skipped.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5))

    let names = (0..<64).map { _ in try! DomainName("split.example.test") }

    let zoneRecords: [ResourceRecord] = (0..<1_000).flatMap { index -> [ResourceRecord] in
        let name = try! DomainName("host\(index).example.test")
        return [
            ResourceRecord(name: name, data: .a(IPv4Address(UInt32(0xC000_0200) + UInt32(index % 250)))),
            ResourceRecord(name: name, data: .txt(TXTData(text: "v=spf1 ip4:192.0.2.\(index % 250) -all"))),
        ]
    }
    let zone = ZoneResolver(records: zoneRecords)
    let zoneQuestions = (0..<1_000).map { DNSQuestion(try! DomainName("host\($0).example.test"), .txt) }

    Benchmark("ZoneResolver lookups", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(try? zone.answer(zoneQuestions[index % zoneQuestions.count]))
        }
    }

    guard let server = ProcessInfo.processInfo.environment["DNSAUDIT_BENCH_NAMESERVER"].flatMap(Nameserver.init) else {
        return
    }
    let resolver = LDNSResolver(nameservers: [server], timeout: .seconds(2), attempts: 1)

    Benchmark("LDNSResolver queries, sequential", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? await resolver.query(names[0], .txt))
        }
    }

    Benchmark("LDNSResolver queries, 64 in flight", configuration: .init(scalingFactor: .kilo)) { benchmark in
        let total = benchmark.scaledIterations.count
        await withTaskGroup(of: Void.self) { group in
            var issued = 0
            while issued < min(64, total) {
                group.addTask { blackHole(try? await resolver.query(names[0], .txt)) }
                issued += 1
            }
            while await group.next() != nil {
                if issued < total {
                    group.addTask { blackHole(try? await resolver.query(names[0], .txt)) }
                    issued += 1
                }
            }
        }
    }
}
