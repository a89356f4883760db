import DNSCore
import TestSupport
import Testing

@Suite struct BatchResolverTests {
    let zone = ZoneResolver(
        records: [
            ResourceRecord(name: name("example.com"), ttl: 300, data: .a(IPv4Address("192.0.2.1")!)),
            ResourceRecord(name: name("example.com"), ttl: 300, data: .txt(TXTData(text: "v=spf1 -all"))),
            ResourceRecord(name: name("other.example.com"), ttl: 300, data: .txt(TXTData(text: "hello"))),
        ],
        failures: [name("fail.example.com"): .timeout])

    /// Hits are answered from the cache, a question asked twice in one batch goes down once, and
    /// the misses reach the base as one batch; results come back in the order asked.
    @Test func theCacheSendsOnlyItsMissesDownAsOneBatch() async throws {
        let recorder = RecordingResolver(zone)
        let cache = CachingResolver(recorder)
        _ = try await cache.query(name("example.com"), .a)
        let questions = [
            DNSQuestion(name("example.com"), .a), DNSQuestion(name("nx.example.com"), .a),
            DNSQuestion(name("other.example.com"), .txt), DNSQuestion(name("NX.example.com"), .a),
            DNSQuestion(name("fail.example.com"), .a),
        ]
        let results = await cache.queryAll(questions)
        #expect(recorder.batches == [
            [DNSQuestion(name("nx.example.com"), .a), DNSQuestion(name("other.example.com"), .txt),
             DNSQuestion(name("fail.example.com"), .a)],
        ])
        #expect(recorder.total == 4)  // and the first question, asked alone before the batch
        #expect(results.count == questions.count)
        #expect(try results[0].get().fromCache)
        #expect(try results[0].get().ipv4 == [IPv4Address("192.0.2.1")!])
        #expect(try results[1].get().outcome == .nxdomain)
        #expect(try !results[1].get().fromCache)
        #expect(try results[2].get().txt.map(\.joined) == ["hello"])
        #expect(try results[3].get().outcome == .nxdomain)
        #expect(try results[3].get().fromCache)  // the duplicate waited for the first
        #expect(throws: DNSError.self) { try results[4].get() }
        // Failures are not cached: asked again, the failing question goes down again.
        _ = await cache.queryAll([DNSQuestion(name("fail.example.com"), .a), DNSQuestion(name("nx.example.com"), .a)])
        #expect(recorder.batches.last == [DNSQuestion(name("fail.example.com"), .a)])
    }

    /// A question asked twice in one batch goes down once even when it fails (failures are not
    /// cached, so the second copy must share the first one's result, not ask again).
    @Test func aFailingQuestionAskedTwiceInABatchGoesDownOnce() async throws {
        let recorder = RecordingResolver(zone)
        let cache = CachingResolver(recorder)
        let failing = DNSQuestion(name("fail.example.com"), .a)
        let results = await cache.queryAll([failing, DNSQuestion(name("example.com"), .a), failing])
        #expect(recorder.batches == [[failing, DNSQuestion(name("example.com"), .a)]])
        #expect(recorder.total == 2)
        for index in [0, 2] {
            guard case .failure(let error) = results[index] else { Issue.record("answered: \(results[index])"); continue }
            #expect(error.kind == .timeout)
        }
    }

    /// A zone answers a batch in turn, and still honours cancellation and a fired deadline.
    @Test func aZoneBatchHonoursCancellationAndTheDeadline() async throws {
        let questions = [DNSQuestion(name("example.com"), .a), DNSQuestion(name("other.example.com"), .txt)]
        let answered = await zone.queryAll(questions)
        #expect(answered.map { try? $0.get().outcome } == [.answer, .answer])
        let expired = await DeadlineResolver(zone, deadline: .now - .seconds(1)).queryAll(questions)
        #expect(expired.map { result -> DNSError.Kind? in if case .failure(let e) = result { e.kind } else { nil } }
            == [.deadlineExceeded, .deadlineExceeded])
        let task = Task { () -> [Result<DNSResponse, DNSError>] in
            withUnsafeCurrentTask { $0?.cancel() }
            return await zone.queryAll(questions)
        }
        #expect(await task.value.map { result -> DNSError.Kind? in if case .failure(let e) = result { e.kind } else { nil } }
            == [.cancelled, .cancelled])
    }

    /// A question another caller is already asking joins that lookup instead of going down again.
    @Test func aBatchJoinsALookupAnotherCallerIsRunning() async throws {
        let recorder = RecordingResolver(zone, delay: .milliseconds(500))
        let cache = CachingResolver(recorder)
        let first = Task { try await cache.query(name("example.com"), .a) }
        try await waitUntil { recorder.total == 1 }
        let results = await cache.queryAll([DNSQuestion(name("example.com"), .a), DNSQuestion(name("example.com"), .txt)])
        #expect(recorder.total == 2)
        #expect(recorder.batches == [[DNSQuestion(name("example.com"), .txt)]])
        #expect(try results[0].get().ipv4 == [IPv4Address("192.0.2.1")!])
        #expect(try results[0].get().fromCache)
        #expect(try results[1].get().txt.map(\.joined) == ["v=spf1 -all"])
        #expect(try await first.value.outcome == .answer)
    }

    /// A resolver that takes no batches gets each question on its own, all at once: the gate
    /// opens only when all 20 are in flight, which asking them in turn would never reach.
    @Test func aPlainResolverIsAskedEachQuestionConcurrently() async throws {
        let gate = Gate()
        let counting = CountingResolver(zone, gate: gate)
        let asking = Task { await counting.queryAll((0..<20).map { DNSQuestion(name("h\($0).example.com"), .a) }) }
        try await waitUntil { counting.peakInFlight == 20 }
        gate.open()
        let results = await asking.value
        #expect(counting.count.withLock { $0 } == 20)
        #expect(results.allSatisfy { (try? $0.get().outcome) == .nxdomain })
    }

    /// The deadline passes down with the batch, and a batch past its deadline fails whole.
    @Test func aDeadlineEndsEveryQuestionOfABatch() async throws {
        let slow = CountingResolver(zone, delay: .seconds(30))
        let bounded = DeadlineResolver(CachingResolver(slow), timeout: .milliseconds(200))
        let started = ContinuousClock.now
        let results = await bounded.queryAll([DNSQuestion(name("example.com"), .a), DNSQuestion(name("x.example.com"), .a)])
        #expect(results.map { (try? $0.get()) == nil } == [true, true])
        for result in results {
            guard case .failure(let error) = result else { continue }
            #expect(error.kind == .deadlineExceeded)
        }
        #expect(ContinuousClock.now - started < .seconds(20))
        let expired = DeadlineResolver(zone, deadline: .now - .seconds(1))
        let none = await expired.queryAll([DNSQuestion(name("example.com"), .a)])
        guard case .failure(let error) = none[0] else { Issue.record("answered past the deadline"); return }
        #expect(error.kind == .deadlineExceeded)
    }
}
