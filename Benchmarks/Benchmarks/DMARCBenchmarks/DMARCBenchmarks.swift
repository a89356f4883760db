import Benchmark
import DMARC
import DNSCore
import Foundation

// DMARC record parsing, RFC 9989 policy discovery (tree walk) and RFC 7489 discovery (Public
// Suffix List) on in-memory zone data, and Public Suffix List lookups. No network.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxDuration: .seconds(5))

    let simple = "v=DMARC1; p=reject; rua=mailto:dmarc@example.com"
    let full = "v=DMARC1; p=quarantine; sp=reject; np=reject; adkim=s; aspf=r; psd=n; t=y; fo=1:d:s; "
        + "rua=mailto:a@example.com,mailto:b@reports.example.net!10m; ruf=mailto:f@example.com; pct=50; rf=afrf; ri=3600"

    Benchmark("Parse a minimal record", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try? DMARCRecord.parse(simple)) }
    }

    Benchmark("Parse a record with every tag", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try? DMARCRecord.parse(full)) }
    }

    let records: [ResourceRecord] = (0..<500).flatMap { index -> [ResourceRecord] in
        let organization = try! DomainName("org\(index).example")
        return [
            ResourceRecord(name: try! organization.prepending("_dmarc"), data: .txt(TXTData(text: simple))),
            ResourceRecord(name: try! organization.prepending("mail"), data: .a(IPv4Address(0xC000_0201))),
        ]
    }
    let zone = ZoneResolver(records: records)
    let discoverer = DMARCDiscoverer(resolver: zone)
    let authors = (0..<500).map { try! DomainName("mail.org\($0).example") }
    let deep = (0..<500).map { try! DomainName("a.b.c.d.e.f.g.h.i.mail.org\($0).example") }

    Benchmark("RFC 9989 discovery, subdomain (4 queries)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(await discoverer.discoverPolicy(for: authors[index % authors.count]))
        }
    }

    Benchmark("RFC 9989 discovery, 12 labels (8 queries)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(await discoverer.discoverPolicy(for: deep[index % deep.count]))
        }
    }

    Benchmark("RFC 7489 discovery (Public Suffix List)", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations {
            blackHole(await discoverer.discoverLegacyPolicy(for: authors[index % authors.count]))
        }
    }

    let list = PublicSuffixList.bundled
    let names = ["www.example.co.uk", "a.b.c.kobe.jp", "shop.example.com", "x.y.github.io", "www.食狮.公司.cn"]

    Benchmark("Public Suffix List lookups", configuration: .init(scalingFactor: .kilo)) { benchmark in
        for index in benchmark.scaledIterations { blackHole(list.registrableDomain(of: names[index % names.count])) }
    }

    // Building the list (parse + dictionary), from the system copy when there is one.
    if let text = try? String(contentsOfFile: PublicSuffixList.systemPath, encoding: .utf8) {
        Benchmark("Public Suffix List build (system copy)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(PublicSuffixList(parsing: text)) }
        }
    }
}
