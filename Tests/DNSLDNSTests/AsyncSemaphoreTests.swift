import DNSCore
@testable import DNSLDNS
import TestSupport
import Synchronization
import Testing

/// What the waiters did, in order.
final class EventLog: Sendable {
    private let events = LockedState<[String]>([])
    func add(_ event: String) { events.withLock { $0.append(event) } }
    var all: [String] { events.withLock { $0 } }
}

/// The bound on exchanges in flight, with batches taking several permits at once.
@Suite struct AsyncSemaphoreTests {
    /// A waiter for several permits goes on only when all are free, and takes them together.
    @Test func severalPermitsAreTakenTogether() async throws {
        let semaphore = AsyncSemaphore(permits: 4)
        try await semaphore.acquire(2)
        let log = EventLog()
        let batch = Task {
            try await semaphore.acquire(3)
            log.add("batch")
        }
        try await waitUntil { semaphore.queued == 1 }
        #expect(log.all.isEmpty)  // 2 free, 3 needed
        semaphore.release()
        try await batch.value
        #expect(log.all == ["batch"])
        // 1 held by the first caller and 3 by the batch: nothing is left.
        let single = Task { try await semaphore.acquire() }
        try await waitUntil { semaphore.queued == 1 }
        semaphore.release(3)
        try await single.value
    }

    /// Waiters go in order: one permit free does not let a single waiter pass a batch queued
    /// ahead of it. When that batch leaves (cancelled), the single waiter goes on at once.
    @Test func aBatchThatLeavesTheQueueLetsTheWaitersBehindItGoOn() async throws {
        let semaphore = AsyncSemaphore(permits: 3)
        try await semaphore.acquire(2)
        let order = EventLog()
        let batch = Task { () -> Bool in
            do {
                try await semaphore.acquire(3)
                return true
            } catch {
                order.add("batch left")
                return false
            }
        }
        try await waitUntil { semaphore.queued == 1 }
        let single = Task {
            try await semaphore.acquire()
            order.add("single")
        }
        try await waitUntil { semaphore.queued == 2 }
        #expect(order.all.isEmpty)  // one permit is free, but the batch is first
        batch.cancel()
        #expect(await batch.value == false)
        try await single.value
        #expect(Set(order.all) == ["batch left", "single"])
    }

    /// Under contention (permits taken without the lock while nobody queues, in order while some
    /// do), never more than the permits are held, and every caller gets its turn.
    @Test func manyCallersNeverHoldMoreThanThePermits() async throws {
        let semaphore = AsyncSemaphore(permits: 3)
        let counters = Counters()
        await withTaskGroup(of: Void.self) { group in
            for caller in 0..<48 {
                group.addTask {
                    for round in 0..<150 {
                        let count = (caller + round) % 7 == 0 ? 2 : 1
                        do {
                            try await semaphore.acquire(count)
                        } catch {
                            return
                        }
                        let now = counters.held.add(count, ordering: .sequentiallyConsistent).newValue
                        counters.most.max(now, ordering: .sequentiallyConsistent)
                        if round % 5 == 0 { await Task.yield() }
                        counters.held.subtract(count, ordering: .sequentiallyConsistent)
                        counters.turns.add(1, ordering: .relaxed)
                        semaphore.release(count)
                    }
                }
            }
        }
        #expect(counters.turns.load(ordering: .relaxed) == 48 * 150)
        #expect(counters.most.load(ordering: .relaxed) <= 3)
        #expect(counters.most.load(ordering: .relaxed) >= 2, "callers did run at the same time")
        #expect(semaphore.queued == 0)
    }
}

/// Shared counts for the contention test.
private final class Counters: Sendable {
    let held = Atomic<Int>(0)
    let most = Atomic<Int>(0)
    let turns = Atomic<Int>(0)
}
