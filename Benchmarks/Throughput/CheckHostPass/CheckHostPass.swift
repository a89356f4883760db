import DNSCore
import DNSLDNS
import SPF

/// One pass of check_host() over `domains` (MAIL FROM postmaster@DOMAIN, HELO DOMAIN) from
/// `client`, `concurrency` at a time, with a cold cache in front of `server`: the unit both
/// SPFBenchmarks and SPFThroughput time. `recordsTrace` is ``SPFEvaluator/recordsTrace``: on,
/// each evaluation also builds the explanation tree an audit shows; off, results only, as
/// pyspf computes them.
public func checkHostPass(
    _ domains: [String], server: Nameserver, client: IPAddress, concurrency: Int, recordsTrace: Bool = true
) async {
    var evaluator = SPFEvaluator(resolver: CachingResolver(LDNSResolver(nameservers: [server])))
    evaluator.recordsTrace = recordsTrace
    let configured = evaluator
    await withTaskGroup(of: SPFResult.self) { group in
        var next = 0
        func start() {
            let domain = domains[next]
            next += 1
            group.addTask { await configured.evaluateMailFrom(ip: client, mailFrom: "postmaster@\(domain)", helo: domain).result }
        }
        while next < min(max(1, concurrency), domains.count) { start() }
        while await group.next() != nil, next < domains.count { start() }
    }
}
