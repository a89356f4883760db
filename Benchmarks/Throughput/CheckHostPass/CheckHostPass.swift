import DNSCore
import DNSLDNS
import SPF

/// One pass of check_host() over `domains` (MAIL FROM postmaster@DOMAIN, HELO DOMAIN) from
/// `client`, `concurrency` at a time, with a cold cache in front of `server`: the unit both
/// SPFBenchmarks and SPFThroughput time.
public func checkHostPass(_ domains: [String], server: Nameserver, client: IPAddress, concurrency: Int) async {
    let evaluator = SPFEvaluator(resolver: CachingResolver(LDNSResolver(nameservers: [server])))
    await withTaskGroup(of: SPFResult.self) { group in
        var next = 0
        func start() {
            let domain = domains[next]
            next += 1
            group.addTask { await evaluator.evaluateMailFrom(ip: client, mailFrom: "postmaster@\(domain)", helo: domain).result }
        }
        while next < min(max(1, concurrency), domains.count) { start() }
        while await group.next() != nil, next < domains.count { start() }
    }
}
