import DNSCore
import TestSupport
import Testing

func name(_ text: String) -> DomainName { try! DomainName(dnsName: text) }

@Suite struct ZoneResolverTests {
    let zone = ZoneResolver(records: [
        ResourceRecord(name: name("example.com"), ttl: 100, data: .soa(SOAData(
            primary: name("ns.example.com"), mailbox: name("h.example.com"), serial: 1, refresh: 1, retry: 1, expire: 1,
            minimum: 42))),
        ResourceRecord(name: name("example.com"), data: .txt(TXTData(text: "v=spf1 -all"))),
        ResourceRecord(name: name("a.b.example.com"), data: .a(IPv4Address("192.0.2.1")!)),
        ResourceRecord(name: name("alias.example.com"), data: .cname(name("a.b.example.com"))),
        ResourceRecord(name: name("*.wild.example.com"), data: .txt(TXTData(text: "wildcard"))),
        ResourceRecord(name: name("loop.example.com"), data: .cname(name("loop.example.com"))),
    ], failures: [name("broken.example.com"): .serverFailure])

    @Test func keepsNXDOMAINAndNODATAApart() async throws {
        #expect(try await zone.query(name("missing.example.com"), .a).outcome == .nxdomain)
        #expect(try await zone.query(name("example.com"), .a).outcome == .nodata)
        #expect(try await zone.query(name("b.example.com"), .a).outcome == .nodata, "empty non-terminal exists")
        #expect(try await zone.query(name("missing.example.com"), .a).negativeTTL == 42)
    }

    @Test func followsCNAMEs() async throws {
        let response = try await zone.query(name("alias.example.com"), .a)
        #expect(response.outcome == .answer)
        #expect(response.cnameChain == [name("a.b.example.com")])
        #expect(try await zone.query(name("alias.example.com"), .cname).records.count == 1)
        let error = await #expect(throws: DNSError.self) { try await zone.query(name("loop.example.com"), .a) }
        #expect(error?.kind == .cnameLoop)
    }

    @Test func answersWildcardsOnlyForNamesThatDoNotExist() async throws {
        let response = try await zone.query(name("x.wild.example.com"), .txt)
        #expect(response.txt.first?.joined == "wildcard")
        #expect(response.records.first?.name == name("x.wild.example.com"))
        #expect(try await zone.query(name("wild.example.com"), .txt).outcome == .nodata)
    }

    @Test func throwsInjectedFailures() async throws {
        let error = await #expect(throws: DNSError.self) { try await zone.query(name("broken.example.com"), .txt) }
        #expect(error?.kind == .serverFailure)
    }
}


/// Counts the questions that reach it (and the most in flight at once), and can be slowed down
/// or held at a gate until the test opens it.
final class CountingResolver: DNSResolver {
    let base: any DNSResolver
    let delay: Duration
    let gate: Gate?
    let count = LockedState(0)
    private let flight = LockedState((now: 0, peak: 0))
    init(_ base: any DNSResolver, delay: Duration = .zero, gate: Gate? = nil) {
        self.base = base
        self.delay = delay
        self.gate = gate
    }
    var resolverDescription: String { "counting" }
    /// The most questions that were being answered at once.
    var peakInFlight: Int { flight.withLock { $0.peak } }
    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        count.withLock { $0 += 1 }
        flight.withLock { $0.now += 1; $0.peak = max($0.peak, $0.now) }
        defer { flight.withLock { $0.now -= 1 } }
        if delay > .zero { try? await Task.sleep(for: delay) }
        await gate?.pass()
        return try await base.query(question)
    }
}

/// Holds callers until the test opens it.
final class Gate: Sendable {
    private let state = LockedState((open: false, waiting: [CheckedContinuation<Void, Never>]()))

    func pass() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let open = state.withLock { state in
                if !state.open { state.waiting.append(continuation) }
                return state.open
            }
            if open { continuation.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { state in
            state.open = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}

@Suite struct CachingResolverTests {
    let zone = ZoneResolver(
        records: [ResourceRecord(name: name("example.com"), ttl: 300, data: .a(IPv4Address("192.0.2.1")!))],
        failures: [name("fail.example.com"): .timeout])

    @Test func answersRepeatedQuestionsFromTheCache() async throws {
        let counting = CountingResolver(zone)
        let cache = CachingResolver(counting)
        let first = try await cache.query(name("example.com"), .a)
        let second = try await cache.query(name("EXAMPLE.com"), .a)
        #expect(!first.fromCache)
        #expect(second.fromCache)
        #expect(counting.count.withLock { $0 } == 1)
    }

    @Test func cachesNegativeAnswersButNotFailures() async throws {
        let counting = CountingResolver(zone)
        let cache = CachingResolver(counting)
        _ = try await cache.query(name("nx.example.com"), .a)
        _ = try await cache.query(name("nx.example.com"), .a)
        #expect(counting.count.withLock { $0 } == 1)
        for _ in 0..<2 {
            await #expect(throws: DNSError.self) { try await cache.query(name("fail.example.com"), .a) }
        }
        #expect(counting.count.withLock { $0 } == 3)
    }

    @Test func mergesConcurrentIdenticalQuestions() async throws {
        let counting = CountingResolver(zone, delay: .milliseconds(50))
        let cache = CachingResolver(counting)
        let outcomes = await withTaskGroup(of: DNSResponse.Outcome?.self) { group in
            for _ in 0..<20 { group.addTask { try? await cache.query(name("example.com"), .a).outcome } }
            return await group.reduce(into: [DNSResponse.Outcome?]()) { $0.append($1) }
        }
        #expect(outcomes.allSatisfy { $0 == .answer })
        #expect(counting.count.withLock { $0 } == 1)
    }

    /// The first asker runs a lookup for everyone: when it is cancelled, the callers that joined
    /// it are not; they ask again and get the answer.
    @Test func aCancelledFirstAskerDoesNotFailTheCallersThatJoinedIt() async throws {
        let counting = CountingResolver(zone, delay: .seconds(5))
        let cache = CachingResolver(counting)
        let first = Task { try await cache.query(name("example.com"), .a) }
        try await waitUntil { counting.count.withLock { $0 } == 1 }
        let second = Task { try await cache.query(name("example.com"), .a) }
        try await waitUntil { cache.statistics.hits == 1 }
        first.cancel()
        await #expect(throws: DNSError.self) { try await first.value }
        #expect(try await second.value.outcome == .answer)
        #expect(counting.count.withLock { $0 } == 2)
    }

    /// A joined caller that is cancelled leaves at once; the lookup goes on for the first asker.
    @Test func aCancelledJoinerLeavesWithoutCancellingTheLookup() async throws {
        let gate = Gate()
        let counting = CountingResolver(zone, gate: gate)
        let cache = CachingResolver(counting)
        let first = Task { try await cache.query(name("example.com"), .a) }
        try await waitUntil { counting.count.withLock { $0 } == 1 }
        let second = Task { () async -> DNSError.Kind? in
            do {
                _ = try await cache.query(name("example.com"), .a)
                return nil
            } catch {
                return (error as? DNSError)?.kind
            }
        }
        try await waitUntil { cache.statistics.hits == 1 }
        second.cancel()
        #expect(await second.value == .cancelled)
        gate.open()  // only now may the lookup finish
        #expect(try await first.value.outcome == .answer)
        #expect(counting.count.withLock { $0 } == 1)
        #expect(try await cache.query(name("example.com"), .a).fromCache)
    }

    @Test func doesNotCacheAnswersWithZeroTTL() async throws {
        let zone = ZoneResolver(records: [ResourceRecord(name: name("z.example"), ttl: 0, data: .a(IPv4Address(1)))])
        let counting = CountingResolver(zone)
        let cache = CachingResolver(counting)
        _ = try await cache.query(name("z.example"), .a)
        _ = try await cache.query(name("z.example"), .a)
        #expect(counting.count.withLock { $0 } == 2)
    }
}

@Suite struct DeadlineResolverTests {
    @Test func failsQueriesOnceTheDeadlineHasPassed() async throws {
        let zone = ZoneResolver(records: [ResourceRecord(name: name("example.com"), data: .a(IPv4Address(1)))])
        let slow = CountingResolver(zone, delay: .seconds(5))
        let resolver = DeadlineResolver(slow, timeout: .milliseconds(100))
        let error = await #expect(throws: DNSError.self) { try await resolver.query(name("example.com"), .a) }
        #expect(error?.kind == .deadlineExceeded)
        let expired = DeadlineResolver(zone, deadline: .now - .seconds(1))
        let again = await #expect(throws: DNSError.self) { try await expired.query(name("example.com"), .a) }
        #expect(again?.kind == .deadlineExceeded)
        let fine = DeadlineResolver(zone, timeout: .seconds(60))
        #expect(try await fine.query(name("example.com"), .a).outcome == .answer)
    }

    /// An evaluation inside another (SPF inside an audit): whichever deadline comes first ends
    /// the query, in either nesting order. The slow resolver would take 60 s; the bound below is a
    /// hang guard far from both, so a loaded machine (the ThreadSanitizer stage) cannot flake it.
    @Test(arguments: [true, false])
    func theEarlierOfTwoNestedDeadlinesEndsTheQuery(outerIsEarlier: Bool) async throws {
        let zone = ZoneResolver(records: [ResourceRecord(name: name("example.com"), data: .a(IPv4Address(1)))])
        let slow = CountingResolver(zone, delay: .seconds(60))
        let (outer, inner): (Duration, Duration) = outerIsEarlier ? (.milliseconds(100), .seconds(60)) : (.seconds(60), .milliseconds(100))
        let resolver = DeadlineResolver(DeadlineResolver(CachingResolver(slow), timeout: inner), timeout: outer)
        let started = ContinuousClock.now
        let error = await #expect(throws: DNSError.self) { try await resolver.query(name("example.com"), .a) }
        #expect(error?.kind == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    /// Deadlines share one timer, armed for the earliest: each must fire, none before its time,
    /// whatever order they were made in.
    @Test func deadlinesMadeInAnyOrderEachFireAtTheirOwnTime() async throws {
        let zone = ZoneResolver(records: [ResourceRecord(name: name("example.com"), data: .a(IPv4Address(1)))])
        let slow = CountingResolver(zone, delay: .seconds(30))
        let timeouts: [Duration] = [.milliseconds(900), .milliseconds(300), .milliseconds(600)]
        let ended = await withTaskGroup(of: (Duration, Duration, DNSError.Kind?).self) { group in
            for timeout in timeouts {
                group.addTask {
                    let started = ContinuousClock.now
                    let resolver = DeadlineResolver(slow, timeout: timeout)
                    do {
                        _ = try await resolver.query(name("example.com"), .a)
                        return (timeout, ContinuousClock.now - started, nil)
                    } catch {
                        return (timeout, ContinuousClock.now - started, (error as? DNSError)?.kind)
                    }
                }
            }
            return await group.reduce(into: [(Duration, Duration, DNSError.Kind?)]()) { $0.append($1) }
        }
        #expect(ended.count == 3)
        for (timeout, elapsed, kind) in ended {
            #expect(kind == .deadlineExceeded)
            #expect(elapsed >= timeout, "fired after \(elapsed), before its \(timeout) deadline")
            #expect(elapsed < .seconds(20), "the 30 s lookup was not cut off")
        }
    }

    /// A caller that joined a lookup whose first asker ran out of time asks again under its own,
    /// later deadline, and gets the answer.
    @Test func aJoinerOutlivesTheDeadlineOfTheLookupItJoined() async throws {
        let zone = ZoneResolver(records: [ResourceRecord(name: name("example.com"), ttl: 300, data: .a(IPv4Address(1)))])
        let counting = CountingResolver(zone, delay: .seconds(8))
        let cache = CachingResolver(counting)
        let patient = DeadlineResolver(cache, timeout: .seconds(60))
        // The hurried deadline starts inside the task, so a slow start cannot use it up; it leaves
        // the second task 4 s to join, room enough on a loaded 2-core machine.
        let first = Task { try await DeadlineResolver(cache, timeout: .seconds(4)).query(name("example.com"), .a) }
        try await waitUntil { counting.count.withLock { $0 } == 1 }
        let second = Task { try await patient.query(name("example.com"), .a) }
        try await waitUntil { cache.statistics.hits == 1 }  // it joined the first lookup
        let error = await #expect(throws: DNSError.self) { try await first.value }
        #expect(error?.kind == .deadlineExceeded)
        #expect(try await second.value.outcome == .answer)
        #expect(counting.count.withLock { $0 } == 2)
    }
}

@Suite struct CachingResolverEvictionTests {
    @Test func evictsTheOldestAnswersWhenFull() async throws {
        let records = (0..<10).map { ResourceRecord(name: name("h\($0).example"), ttl: 300, data: .a(IPv4Address(UInt32($0)))) }
        let counting = CountingResolver(ZoneResolver(records: records))
        let cache = CachingResolver(counting, maximumEntries: 4)
        for index in 0..<10 { _ = try await cache.query(name("h\(index).example"), .a) }
        #expect(cache.count == 4)
        _ = try await cache.query(name("h9.example"), .a)
        #expect(counting.count.withLock { $0 } == 10, "the newest stays cached")
        _ = try await cache.query(name("h0.example"), .a)
        #expect(counting.count.withLock { $0 } == 11, "the oldest was evicted")
    }
}

@Suite struct NegativeTTLTests {
    @Test func aNegativeAnswerLastsTheSmallerOfTheSOATTLAndItsMinimum() async throws {
        // RFC 2308 §5. Here the SOA record's TTL (30) is below its MINIMUM field (600).
        let zone = ZoneResolver(records: [
            ResourceRecord(name: name("example.org"), ttl: 30, data: .soa(SOAData(
                primary: name("ns.example.org"), mailbox: name("h.example.org"), serial: 1, refresh: 1, retry: 1,
                expire: 1, minimum: 600))),
        ])
        #expect(try await zone.query(name("missing.example.org"), .a).negativeTTL == 30)
        #expect(try await ZoneResolver(records: []).query(name("x.example"), .a).negativeTTL == nil)
    }

    @Test func aCallerThatJoinsAnotherCallersLookupIsAnsweredFromTheCache() async throws {
        let zone = ZoneResolver(records: [ResourceRecord(name: name("example.com"), ttl: 300, data: .a(IPv4Address(1)))])
        let gate = Gate()
        let counting = CountingResolver(zone, gate: gate)
        let cache = CachingResolver(counting)
        let first = Task { try await cache.query(name("example.com"), .a) }
        // Join only once the first lookup is under way, and let it finish only once joined.
        try await waitUntil { counting.count.withLock { $0 } == 1 }
        let second = Task { try await cache.query(name("example.com"), .a) }
        try await waitUntil { cache.statistics.hits == 1 }
        gate.open()
        #expect(try await second.value.fromCache)
        #expect(try await first.value.fromCache == false)
        #expect(counting.count.withLock { $0 } == 1)
    }
}
