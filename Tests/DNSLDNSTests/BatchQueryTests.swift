import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// `LDNSResolver.queryAll`: a batch goes out together (one `sendmmsg` per socket) and must give
/// every question the result `query` gives it alone, whatever the question's fate.
@Suite("LDNSResolver batches against Knot on loopback")
struct BatchQueryTests {
    static let zones = LDNSResolverIntegrationTests.zones

    func withServer<T>(_ body: (KnotServer) async throws -> T) async throws -> T {
        try await LDNSResolverIntegrationTests.withServer(body)
    }

    /// What a test compares of one result.
    struct Summary: Equatable, CustomStringConvertible {
        var outcome: DNSResponse.Outcome?
        var records: Set<RecordData>
        var chain: [DomainName]
        var transport: DNSTransport?
        var truncated: Bool
        var negativeTTL: UInt32?
        var error: DNSError.Kind?

        init(_ result: Result<DNSResponse, DNSError>) {
            switch result {
            case .success(let response):
                (outcome, records, chain, transport) = (response.outcome, Set(response.records.map(\.data)), response.cnameChain, response.transport)
                (truncated, negativeTTL, error) = (response.truncatedOverUDP, response.negativeTTL, nil)
            case .failure(let failure):
                (outcome, records, chain, transport, truncated, negativeTTL, error) = (nil, [], [], nil, false, nil, failure.kind)
            }
        }

        var description: String {
            error.map { "error \($0)" } ?? "\(outcome!) \(records.count) records via \(chain) over \(transport!)"
        }
    }

    /// Every kind of reply in one batch, some twice: answers, a TXT split over strings, an RRset
    /// that only fits over TCP, NXDOMAIN, NODATA, an empty non-terminal, CNAME chains within and
    /// across zones, a dangling CNAME, a CNAME loop, and SERVFAIL.
    @Test func aBatchGivesEachQuestionWhatAskingItAloneGives() async throws {
        let questions = try [
            ("example.test", RecordType.a), ("example.test", .mx), ("split.example.test", .txt), ("big.example.test", .txt),
            ("nothing-here.example.test", .a), ("txtonly.example.test", .a), ("b.c.example.test", .a),
            ("one.example.test", .a), ("cross.example.test", .a), ("dangling.example.test", .a), ("loop1.example.test", .a),
            ("www.broken.test", .txt), ("example.test", .a), ("one.example.test", .a),
        ].map { DNSQuestion(try DomainName($0.0), $0.1) }
        try await withServer { server in
            let batch = await server.resolver().queryAll(questions)
            #expect(batch.count == questions.count)
            let alone = server.resolver()
            for (question, result) in zip(questions, batch) {
                let single: Result<DNSResponse, DNSError>
                do throws(DNSError) { single = .success(try await alone.query(question)) } catch { single = .failure(error) }
                #expect(Summary(result) == Summary(single), "\(question)")
                if case .success(let response) = result { #expect(response.question == question) }
            }
            // The cases are what they claim to be.
            #expect(Summary(batch[3]).transport == .tcp && Summary(batch[3]).truncated)
            #expect(Summary(batch[8]).chain.map(\.description) == ["target.other.test"])
            #expect(Summary(batch[10]).error == .cnameLoop)
            #expect(Summary(batch[11]).error == .serverFailure)
        }
    }

    /// A batch larger than the bound on queries in flight, and than what one socket carries,
    /// spread over shuffled questions: each reply reaches its own question.
    @Test func aBatchBeyondTheInFlightBoundAndOneSocketIsAnsweredWhole() async throws {
        let zone = try ZoneResolver(zoneFiles: [Self.zones + "/example.test.zone", Self.zones + "/other.test.zone"])
        let distinct = try [
            ("example.test", RecordType.a), ("example.test", .mx), ("split.example.test", .txt),
            ("txtonly.example.test", .a), ("b.c.example.test", .a), ("nothing.example.test", .txt),
            ("example.test", .aaaa), ("example.test", .txt), ("www.example.test", .a),
        ].map { DNSQuestion(try DomainName($0.0), $0.1) }
        let questions = (0..<25).flatMap { _ in distinct }.shuffled()  // 225 questions
        try await withServer { server in
            let resolver = LDNSResolver(LDNSResolver.Configuration(
                nameservers: [server.nameserver], timeout: .seconds(2), maximumInFlight: 40))
            let results = await resolver.queryAll(questions)
            #expect(results.count == questions.count)
            for (question, result) in zip(questions, results) {
                let live = try result.get()
                let offline = try await zone.query(question)
                #expect(live.question == question)
                #expect(live.outcome == offline.outcome, "\(question)")
                #expect(Set(live.records.map(\.data)) == Set(offline.records.map(\.data)), "\(question)")
            }
        }
    }

    /// Batches from many callers at once, each needing more permits than are free while the
    /// others run: permits are taken whole, so none waits forever holding part of them.
    @Test func concurrentBatchesShareTheInFlightBoundWithoutDeadlock() async throws {
        try await withServer { server in
            let resolver = LDNSResolver(LDNSResolver.Configuration(
                nameservers: [server.nameserver], timeout: .seconds(2), maximumInFlight: 16))
            let questions = try (0..<12).map { DNSQuestion(try DomainName("n\($0).example.test"), .txt) }
            let outcomes = try await withThrowingTaskGroup(of: [DNSResponse.Outcome].self) { group in
                for _ in 0..<10 {
                    group.addTask { try await resolver.queryAll(questions).map { try $0.get().outcome } }
                }
                return try await group.reduce(into: [DNSResponse.Outcome]()) { $0 += $1 }
            }
            #expect(outcomes.count == 120)
            #expect(outcomes.allSatisfy { $0 == .nxdomain })
        }
    }

    /// The batch's try at the first server counts as the first try: a silent first server is
    /// asked `attempts` times per question in all, and the second server answers.
    @Test func aBatchFailsOverAndRetriesLikeSingleQueries() async throws {
        try await withServer { server in
            let silent = try FaultyServer(.silent)
            defer { silent.stop() }
            let resolver = LDNSResolver(
                nameservers: [silent.nameserver, server.nameserver], timeout: .seconds(1), attempts: 2)
            let questions = try (0..<5).map { DNSQuestion(try DomainName("q\($0).example.test"), .a) }
                + [DNSQuestion(try DomainName("example.test"), .a)]
            let results = await resolver.queryAll(questions)
            #expect(results.map { try? $0.get().outcome } == [.nxdomain, .nxdomain, .nxdomain, .nxdomain, .nxdomain, .answer])
            #expect(results.allSatisfy { (try? $0.get().server) == server.nameserver.description })
            #expect(silent.queryCount == questions.count)  // once each, then the live server answered
        }
        let silent = try FaultyServer(.silent)
        defer { silent.stop() }
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .milliseconds(200), attempts: 2)
        let results = await resolver.queryAll(try (0..<4).map { DNSQuestion(try DomainName("t\($0).example.test"), .a) })
        #expect(results.map { result -> DNSError.Kind? in
            if case .failure(let error) = result { return error.kind }
            return nil
        } == [.timeout, .timeout, .timeout, .timeout])
        #expect(silent.queryCount == 8)  // the batch's try and one retry each, not one more
    }

    /// A truncated UDP reply to a batched question is followed by TCP at the same server, as for
    /// a single query: the question is not asked over UDP again.
    @Test func aTruncatedReplyInABatchGoesStraightToTCP() async throws {
        let server = try FaultyServer(.truncationThenGarbage)
        defer { server.stop() }
        let resolver = LDNSResolver(nameservers: [server.nameserver], timeout: .milliseconds(500), attempts: 1)
        let questions = try (0..<3).map { DNSQuestion(try DomainName("t\($0).example.test"), .txt) }
        let results = await resolver.queryAll(questions)
        #expect(results.map(Summary.init).map(\.error) == [.malformed, .malformed, .malformed])
        #expect(server.udpQueriesBySourcePort.values.reduce(0, +) == 3)
        #expect(server.queryCount == 6)  // one UDP and one TCP query each
    }

    /// `maximumInFlight` is a public var: set below 1 after the configuration is made, batches
    /// still run (the bound is at least one), one question at a time.
    @Test func aBatchRunsWhateverTheInFlightBoundWasSetTo() async throws {
        try await withServer { server in
            var configuration = LDNSResolver.Configuration(nameservers: [server.nameserver], timeout: .seconds(2))
            configuration.maximumInFlight = 0
            let results = await LDNSResolver(configuration).queryAll(
                try ["example.test", "nothing-here.example.test", "txtonly.example.test"].map { DNSQuestion(try DomainName($0), .a) })
            #expect(results.map { try? $0.get().outcome } == [.answer, .nxdomain, .nodata])
        }
    }

    /// The evaluation's deadline and the caller's cancellation each end a whole batch waiting
    /// for replies that never come (the query timeout is 30 s).
    @Test func aDeadlineOrCancellationEndsAWaitingBatch() async throws {
        let silent = try SilentServer()
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .seconds(30), attempts: 1)
        let questions = try (0..<6).map { DNSQuestion(try DomainName("w\($0).example.test"), .a) }
        let started = ContinuousClock.now
        let bounded = DeadlineResolver(CachingResolver(resolver), timeout: .milliseconds(300))
        let ended = await bounded.queryAll(questions)
        #expect(ended.map(Summary.init).map(\.error) == Array(repeating: .deadlineExceeded, count: 6))
        #expect(ContinuousClock.now - started < .seconds(15))

        let task = Task { await resolver.queryAll(questions) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let cancelled = await task.value
        #expect(cancelled.map(Summary.init).map(\.error) == Array(repeating: .cancelled, count: 6))
    }
}
