import DNSCore
import DNSLDNS
import SPF
import Synchronization

/// One pass of check_host() over `domains` (MAIL FROM postmaster@DOMAIN, HELO DOMAIN) from
/// `client`, `concurrency` at a time, with a cold cache in front of `server`: the unit both
/// SPFBenchmarks and SPFThroughput time. `recordsTrace` is ``SPFEvaluator/recordsTrace``: on,
/// each evaluation also builds the explanation tree an audit shows; off, results only, as
/// pyspf computes them.
///
/// `concurrency` workers take the next domain as they finish one, as a bulk scanner does: a
/// task per domain would add a task's creation, and the allocation of its async stack, to each.
public func checkHostPass(
    _ domains: [String], server: Nameserver, client: IPAddress, concurrency: Int, recordsTrace: Bool = true
) async {
    var evaluator = SPFEvaluator(resolver: CachingResolver(LDNSResolver(nameservers: [server])))
    evaluator.recordsTrace = recordsTrace
    let configured = evaluator
    let next = NextIndex()
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<min(max(1, concurrency), domains.count) {
            group.addTask {
                while let index = next.take(below: domains.count) {
                    let domain = domains[index]
                    _ = await configured.evaluateMailFrom(ip: client, mailFrom: "postmaster@\(domain)", helo: domain).result
                }
            }
        }
    }
}

/// The next domain to check, shared by the workers.
private final class NextIndex: Sendable {
    private let value = Atomic<Int>(0)

    /// The next index, or `nil` once all `count` are taken.
    func take(below count: Int) -> Int? {
        let index = value.add(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }
}
