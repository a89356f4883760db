import DNSCore
import Synchronization
import Testing

@testable import SPF

/// ``IncludeMemo``: an include's result, remembered for evaluations without the trace over one
/// cache, stands for the evaluation it replaces and for nothing else.
@Suite struct IncludeMemoTests {
    static let client = IPAddress("192.0.2.1")!

    static func evaluator(_ resolver: CachingResolver) -> SPFEvaluator {
        var evaluator = SPFEvaluator(resolver: resolver)
        evaluator.recordsTrace = false
        return evaluator
    }

    /// A remembered include is answered without its lookups: the second evaluation asks the
    /// cache only for the domain's own record.
    @Test func aRememberedIncludeAsksNothing() async throws {
        let cache = CachingResolver(try TestZone.make([
            "one.test": ["TXT v=spf1 include:provider.test -all"],
            "two.test": ["TXT v=spf1 include:provider.test -all"],
            "provider.test": ["TXT v=spf1 include:a.provider.test include:b.provider.test ~all"],
            "a.provider.test": ["TXT v=spf1 ip4:198.51.100.0/24 ~all"],
            "b.provider.test": ["TXT v=spf1 a:mail.provider.test ~all"],
            "mail.provider.test": ["A 192.0.2.1"],
        ]))
        let evaluator = Self.evaluator(cache)
        let first = await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@one.test", helo: "one.test")
        let asked = cache.statistics.hits + cache.statistics.misses
        let second = await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@two.test", helo: "two.test")
        #expect(first.result == .pass && second.result == .pass)
        #expect(first.dnsLookups == 4 && second.dnsLookups == 4)
        #expect(cache.statistics.hits + cache.statistics.misses == asked + 1, "only two.test's own TXT record")
    }

    /// An entry belongs to its cache: another cache over other data gets its own results.
    @Test func anotherCacheDoesNotSeeTheEntries() async throws {
        let passing = CachingResolver(try TestZone.make([
            "d.test": ["TXT v=spf1 include:shared.test -all"], "shared.test": ["TXT v=spf1 ip4:192.0.2.1 -all"],
        ]))
        let failing = CachingResolver(try TestZone.make([
            "d.test": ["TXT v=spf1 include:shared.test -all"], "shared.test": ["TXT v=spf1 ip4:203.0.113.1 -all"],
        ]))
        #expect(await Self.evaluator(passing).evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .pass)
        #expect(await Self.evaluator(failing).evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .fail)
        #expect(await Self.evaluator(passing).evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .pass)
    }

    /// A tree whose result depends on the sender (a macro) is never remembered.
    @Test func aTreeWithMacrosIsEvaluatedEachTime() async throws {
        let cache = CachingResolver(try TestZone.make([
            "d.test": ["TXT v=spf1 include:macro.test -all"],
            "macro.test": ["TXT v=spf1 exists:%{l}.allowed.test -all"],
            "bob.allowed.test": ["A 127.0.0.2"],
        ]))
        let evaluator = Self.evaluator(cache)
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "alice@d.test", helo: "d.test").result == .fail)
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "bob@d.test", helo: "d.test").result == .pass)
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "alice@d.test", helo: "d.test").result == .fail)
    }

    /// A remembered tree that would take the evaluation past ten DNS-querying terms is evaluated
    /// again, and gives the permerror it gives without the memo.
    @Test func aRememberedTreeStillCountsTowardsTheLimit() async throws {
        let many = (1...8).map { "a:h\($0).test" }.joined(separator: " ")
        var zone: [String: [String]] = [
            "warm.test": ["TXT v=spf1 include:tree.test -all"],
            "full.test": ["TXT v=spf1 \(many) include:tree.test -all"],
            "tree.test": ["TXT v=spf1 include:leaf1.test include:leaf2.test -all"],
            "leaf1.test": ["TXT v=spf1 ip4:203.0.113.1 ~all"],
            "leaf2.test": ["TXT v=spf1 ip4:192.0.2.1 ~all"],
        ]
        for index in 1...8 { zone["h\(index).test"] = ["A 203.0.113.9"] }
        let resolver = try TestZone.make(zone)
        let evaluator = Self.evaluator(CachingResolver(resolver))
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@warm.test", helo: "warm.test").result == .pass)
        let full = await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@full.test", helo: "full.test")
        let traced = await SPFEvaluator(resolver: resolver).evaluateMailFrom(ip: Self.client, mailFrom: "a@full.test", helo: "full.test")
        #expect(traced.result == .permerror)
        #expect(full.result == traced.result && full.dnsLookups == traced.dnsLookups && full.problem == traced.problem)
    }

    /// An entry expires with the first answer it rests on: once the cache has dropped the
    /// answers, changed data gives the changed result.
    @Test func anEntryExpiresWithTheAnswersItRestsOn() async throws {
        let data = SwappableResolver(try Self.zone(ttl: 1, leaf: "ip4:192.0.2.1"))
        let evaluator = Self.evaluator(CachingResolver(data))
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .pass)
        data.swap(try Self.zone(ttl: 1, leaf: "ip4:203.0.113.1"))
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .pass,
                "within the TTL, the cached answers and the entry still stand")
        try await Task.sleep(for: .milliseconds(1_200))
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .fail)
    }

    /// An entry is dropped once the cache, being full, has evicted answers: the tree's answers
    /// may be among them, and a real evaluation would ask again.
    @Test func anEntryDoesNotOutliveAnswersTheFullCacheEvicted() async throws {
        let data = SwappableResolver(try Self.zone(ttl: 3600, leaf: "ip4:192.0.2.1"))
        let cache = CachingResolver(data, maximumEntries: 3)
        let evaluator = Self.evaluator(cache)
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .pass)
        data.swap(try Self.zone(ttl: 3600, leaf: "ip4:203.0.113.1"))
        for name in ["x1.test", "x2.test", "x3.test"] {
            _ = try? await cache.query(DNSQuestion(try DomainName(name), .txt))
        }
        #expect(cache.evictions > 0)
        #expect(await evaluator.evaluateMailFrom(ip: Self.client, mailFrom: "a@d.test", helo: "d.test").result == .fail)
    }

    static func zone(ttl: UInt32, leaf: String) throws -> ZoneResolver {
        // The top-level record lives longer than the include tree: only the entry's own expiry
        // can end the remembered result.
        ZoneResolver(records: [
            ResourceRecord(name: try DomainName("d.test"), ttl: 3600, data: .txt(TXTData(text: "v=spf1 include:leaf.test -all"))),
            ResourceRecord(name: try DomainName("leaf.test"), ttl: ttl, data: .txt(TXTData(text: "v=spf1 \(leaf) -all"))),
        ])
    }
}

/// A zone whose data a test replaces.
final class SwappableResolver: DNSResolver {
    private let current: Mutex<ZoneResolver>
    init(_ zone: ZoneResolver) { current = Mutex(zone) }
    func swap(_ zone: ZoneResolver) { current.withLock { $0 = zone } }
    var resolverDescription: String { "swappable test zone" }
    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        let zone = current.withLock { $0 }
        return try await zone.query(question)
    }
}
