import DNSAudit
import DNSCore
import Foundation
import Testing
import TestSupport

/// ``BulkAuditor`` on in-memory zones: input order, the concurrency bound, cancellation.
@Suite struct BulkAuditorTests {
    static func name(_ text: String) -> DomainName { try! DomainName(dnsName: text) }
    static let domains = (0..<5).map { name("d\($0).example") }

    /// Every domain has an SPF record, so each report shows which domain it is.
    static func zone() -> ZoneResolver {
        ZoneResolver(records: domains.map { ResourceRecord(name: $0, data: .txt(TXTData(text: "v=spf1 -all"))) })
    }

    /// Holds every question about a domain until the test opens that domain; records which domains
    /// were asked about, and answers a cancelled question with a DNS error at once.
    final class Gate: DNSResolver, @unchecked Sendable {
        let base: any DNSResolver
        let lock = NSLock()
        private var opened: Set<DomainName> = []
        private var askedAbout: Set<DomainName> = []
        private var held: [(DomainName, CheckedContinuation<Void, Never>)] = []
        private var cancelledQuestions = 0

        init(_ base: any DNSResolver) { self.base = base }

        var resolverDescription: String { "gate" }
        var started: Set<DomainName> { lock.withLock { askedAbout } }
        var cancellations: Int { lock.withLock { cancelledQuestions } }

        func open(_ domain: DomainName) {
            let released = lock.withLock {
                opened.insert(domain)
                let released = held.filter { $0.0 == domain }.map(\.1)
                held.removeAll { $0.0 == domain }
                return released
            }
            for continuation in released { continuation.resume() }
        }

        func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
            guard let domain = BulkAuditorTests.domains.first(where: { question.name.isSubdomain(of: $0) }) else {
                return try await base.query(question)
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { continuation in
                    let pass = lock.withLock {
                        askedAbout.insert(domain)
                        if opened.contains(domain) || Task.isCancelled { return true }
                        held.append((domain, continuation))
                        return false
                    }
                    if pass { continuation.resume() }
                }
            } onCancel: {
                // Release everything held: the cancelled question then fails below.
                let released = lock.withLock {
                    let released = held.map(\.1)
                    held = []
                    return released
                }
                for continuation in released { continuation.resume() }
            }
            if Task.isCancelled {
                lock.withLock { cancelledQuestions += 1 }
                throw DNSError(.cancelled, question: question)
            }
            // A question released by another task's cancellation waits again until its domain opens.
            if !lock.withLock({ opened.contains(domain) }) { return try await query(question) }
            return try await base.query(question)
        }
    }

    /// The domains of the reports received so far.
    final class Received: @unchecked Sendable {
        let lock = NSLock()
        private var domains: [String] = []
        var all: [String] { lock.withLock { domains } }
        func append(_ domain: String) { lock.withLock { domains.append(domain) } }
    }

    static func bulk(_ resolver: any DNSResolver, concurrency: Int) -> BulkAuditor {
        BulkAuditor(auditor: Auditor(resolver: resolver, options: .init(deadline: .seconds(60))), concurrency: concurrency)
    }

    /// Iterates a bulk audit of ``domains`` in a task of its own, noting each report's domain.
    static func consume(_ gate: Gate, concurrency: Int, into received: Received) -> Task<Void, Never> {
        Task {
            for await report in bulk(gate, concurrency: concurrency).reports(for: domains) { received.append(report.domain) }
        }
    }

    /// Waits until as many domains as `expected` holds have started, then a little longer, and
    /// expects exactly those: no other audit starts meanwhile.
    static func expectStarted(
        _ gate: Gate, _ expected: Range<Int>, sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        try await waitUntil { gate.started.count >= expected.count }
        try await Task.sleep(for: .milliseconds(100))
        #expect(gate.started == Set(domains[expected]), sourceLocation: sourceLocation)
    }

    @Test func reportsComeInInputOrderWhateverOrderTheAuditsFinishIn() async throws {
        let (gate, received) = (Gate(Self.zone()), Received())
        let consumer = Self.consume(gate, concurrency: 5, into: received)
        try await waitUntil { gate.started.count == 5 }
        // The last domain finishes first, the first last.
        for domain in Self.domains.reversed() {
            gate.open(domain)
            try await Task.sleep(for: .milliseconds(20))
            if domain != Self.domains[0] { #expect(received.all.isEmpty, "nothing before the first domain's report") }
        }
        await consumer.value
        #expect(received.all == Self.domains.map(\.description))
    }

    @Test func atMostConcurrencyAuditsRunAtOnce() async throws {
        let (gate, received) = (Gate(Self.zone()), Received())
        let consumer = Self.consume(gate, concurrency: 2, into: received)
        try await Self.expectStarted(gate, 0..<2)
        // The second finishes: the third starts, the fourth does not; nothing is yielded before the first.
        gate.open(Self.domains[1])
        try await Self.expectStarted(gate, 0..<3)
        #expect(received.all.isEmpty)
        for domain in Self.domains { gate.open(domain) }
        await consumer.value
        #expect(received.all == Self.domains.map(\.description))
    }

    @Test func cancellingTheConsumerCancelsTheAuditsInFlightAndStartsNoMore() async throws {
        let (gate, received) = (Gate(Self.zone()), Received())
        let consumer = Self.consume(gate, concurrency: 2, into: received)
        try await waitUntil { gate.started.count == 2 }
        let cancelled = ContinuousClock.now
        consumer.cancel()
        await consumer.value
        // The audits' deadline is 60 s: ending well before it means the wait was cut short.
        #expect(ContinuousClock.now - cancelled < .seconds(30), "the iteration ends at the cancellation")
        try await waitUntil { gate.cancellations > 0 }
        try await Self.expectStarted(gate, 0..<2)
        #expect(received.all.isEmpty)
    }

    @Test func leavingTheLoopCancelsTheAuditsInFlight() async throws {
        let gate = Gate(Self.zone())
        gate.open(Self.domains[0])
        var first: String?
        for await report in Self.bulk(gate, concurrency: 2).reports(for: Self.domains) {
            first = report.domain
            break
        }
        #expect(first == Self.domains[0].description)
        try await waitUntil { gate.cancellations > 0 }
        try await Task.sleep(for: .milliseconds(100))
        #expect(!gate.started.contains(Self.domains[3]))
    }

    /// The domains, read as from a pipe whose writer stalls before the element at `stallAt`
    /// until ``resume()``.
    final class StallingList: Sequence, @unchecked Sendable {
        let stallAt: Int
        private let stalled = DispatchSemaphore(value: 0)
        private let lock = NSLock()
        private var reached = false
        init(stallAt: Int) { self.stallAt = stallAt }

        /// The reader has reached the stall.
        var isStalled: Bool { lock.withLock { reached } }
        func resume() { stalled.signal() }

        func makeIterator() -> AnyIterator<DomainName> {
            var index = 0
            return AnyIterator {
                if index == self.stallAt {
                    self.lock.withLock { self.reached = true }
                    self.stalled.wait()
                }
                guard index < BulkAuditorTests.domains.count else { return nil }
                defer { index += 1 }
                return BulkAuditorTests.domains[index]
            }
        }
    }

    @Test func reportsFinishedBeforeAStalledReadComeOutWhileItWaits() async throws {
        let (list, received) = (StallingList(stallAt: 2), Received())
        let consumer = Task {
            for await report in Self.bulk(Self.zone(), concurrency: 4).reports(for: list) { received.append(report.domain) }
        }
        try await waitUntil { received.all.count == 2 }
        #expect(list.isStalled)
        #expect(received.all == Self.domains[0..<2].map(\.description))
        list.resume()
        await consumer.value
        #expect(received.all == Self.domains.map(\.description))
    }

    @Test func cancellingWhileTheInputIsStalledEndsTheIterationAtOnce() async throws {
        let (list, received) = (StallingList(stallAt: 1), Received())
        defer { list.resume() }
        let consumer = Task {
            for await report in Self.bulk(Self.zone(), concurrency: 2).reports(for: list) { received.append(report.domain) }
        }
        try await waitUntil { received.all.count == 1 && list.isStalled }
        consumer.cancel()
        await consumer.value
        #expect(received.all == [Self.domains[0].description])
    }

    @Test func anEmptyListEndsAtOnceAndAConcurrencyBelowOneCountsAsOne() async {
        var count = 0
        for await _ in Self.bulk(Self.zone(), concurrency: 0).reports(for: []) { count += 1 }
        #expect(count == 0)
        #expect(Self.bulk(Self.zone(), concurrency: 0).concurrency == 1)
        let reports = Self.bulk(Self.zone(), concurrency: 0).reports(for: Self.domains) { $0.domain }
        var domains: [String] = []
        for await domain in reports { domains.append(domain) }
        #expect(domains == Self.domains.map(\.description))
    }
}
