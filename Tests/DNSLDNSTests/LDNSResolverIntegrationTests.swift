import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// `LDNSResolver` against a real authoritative server (Knot) on 127.0.0.1, serving
/// Tests/Fixtures/dns/zones. `broken.test` is configured without a zone file, so Knot answers
/// SERVFAIL for it.
@Suite("LDNSResolver against Knot on loopback")
struct LDNSResolverIntegrationTests {
    static let zones = KnotServer.fixtures("dns/zones")

    /// Knot serving the fixture zones, with `broken.test` answering SERVFAIL.
    static func withServer<T>(_ body: (KnotServer) async throws -> T) async throws -> T {
        try await KnotServer.with(zoneDirectory: zones, brokenZones: ["broken.test"], body)
    }

    func withServer<T>(_ body: (KnotServer) async throws -> T) async throws -> T { try await Self.withServer(body) }

    @Test func answersAPlainQuestion() async throws {
        try await withServer { server in
            let response = try await server.resolver().query(try DomainName("example.test"), .a)
            #expect(response.outcome == .answer)
            #expect(response.ipv4 == [IPv4Address("192.0.2.1")!])
            #expect(response.rcode == .noError)
            #expect(response.transport == .udp)
            #expect(response.server == "127.0.0.1:\(server.port)")
            #expect(!response.truncatedOverUDP)
        }
    }

    /// A UDP query registers with the evaluation's deadline only when that deadline could end it
    /// before the query's own timeout does: SPF's 20 s deadline against a 2 s timeout never can,
    /// and then no handler is registered and no timer armed.
    @Test func aQueryArmsADeadlineOnlyWhenTheDeadlineCanEndIt() async throws {
        try await withServer { server in
            let resolver = server.resolver(timeout: .seconds(2))
            let question = DNSQuestion(try DomainName("example.test"), .a)
            let far = DeadlineSignal(deadline: .now + .seconds(60))
            #expect(try await resolver.query(question, within: far).outcome == .answer)
            #expect(!far.isArmed, "a deadline 60 s away cannot end a query that times out after 2 s")
            let near = DeadlineSignal(deadline: .now + .seconds(1))
            #expect(try await resolver.query(question, within: near).outcome == .answer)
            #expect(near.isArmed, "a deadline before the query's timeout must be able to end it")
        }
    }

    @Test func joinsATXTRecordSplitIntoSeveralStrings() async throws {
        try await withServer { server in
            let response = try await server.resolver().query(try DomainName("split.example.test"), .txt)
            let txt = try #require(response.txt.first)
            #expect(txt.strings.count == 3)
            #expect(txt.strings.map { String(decoding: $0, as: UTF8.self) } == ["v=spf1 ", "ip4:192.0.2.0/24 ", "-all"])
            #expect(txt.joined == "v=spf1 ip4:192.0.2.0/24 -all")
        }
    }

    @Test func fetchesAnRRsetThatOnlyFitsOverTCP() async throws {
        try await withServer { server in
            let response = try await server.resolver().query(try DomainName("big.example.test"), .txt)
            #expect(response.truncatedOverUDP)
            #expect(response.transport == .tcp)
            #expect(response.txt.count == 40)
            let total = response.txt.reduce(0) { $0 + $1.joinedBytes.count }
            #expect(total >= 8_192)
            let numbers = Set(response.txt.map { String($0.joined.prefix(9).suffix(2)) })
            #expect(numbers.count == 40)
        }
    }

    @Test func tellsNXDOMAINFromNODATA() async throws {
        try await withServer { server in
            let resolver = server.resolver()
            let missing = try await resolver.query(try DomainName("nothing-here.example.test"), .a)
            #expect(missing.outcome == .nxdomain)
            #expect(missing.rcode == .nameError)
            #expect(missing.negativeTTL == 60)
            let noA = try await resolver.query(try DomainName("txtonly.example.test"), .a)
            #expect(noA.outcome == .nodata)
            #expect(noA.rcode == .noError)
            let emptyNonTerminal = try await resolver.query(try DomainName("b.c.example.test"), .a)
            #expect(emptyNonTerminal.outcome == .nodata)
        }
    }

    @Test func followsACNAMEChain() async throws {
        try await withServer { server in
            let response = try await server.resolver().query(try DomainName("one.example.test"), .a)
            #expect(response.outcome == .answer)
            #expect(response.cnameChain.map(\.description) == ["two.example.test", "three.example.test"])
            #expect(response.ipv4 == [IPv4Address("192.0.2.33")!])
            #expect(response.canonicalName == (try DomainName("three.example.test")))
        }
    }

    @Test func reportsADanglingCNAMEAsNXDOMAINAtItsTarget() async throws {
        try await withServer { server in
            let response = try await server.resolver().query(try DomainName("dangling.example.test"), .a)
            #expect(response.outcome == .nxdomain)
            #expect(response.cnameChain.map(\.description) == ["nowhere.example.test"])
        }
    }

    @Test func reAsksForACNAMETargetInAnotherZone() async throws {
        try await withServer { server in
            let response = try await server.resolver().query(try DomainName("cross.example.test"), .a)
            #expect(response.outcome == .answer)
            #expect(response.cnameChain.map(\.description) == ["target.other.test"])
            #expect(response.ipv4 == [IPv4Address("198.51.100.7")!])
        }
    }

    @Test func reportsACNAMELoopAsAFailure() async throws {
        try await withServer { server in
            let error = await #expect(throws: DNSError.self) {
                try await server.resolver().query(try DomainName("loop1.example.test"), .a)
            }
            #expect(error?.kind == .cnameLoop)
        }
    }

    @Test func reportsSERVFAILAsAFailureNamingTheServer() async throws {
        try await withServer { server in
            let error = await #expect(throws: DNSError.self) {
                try await server.resolver().query(try DomainName("www.broken.test"), .txt)
            }
            #expect(error?.kind == .serverFailure)
            #expect(error?.rcode == .serverFailure)
            #expect(error?.server == "127.0.0.1:\(server.port)")
        }
    }

    @Test func timesOutAgainstASilentPort() async throws {
        let silent = try SilentServer()
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .milliseconds(300), attempts: 1)
        let error = await #expect(throws: DNSError.self) {
            try await resolver.query(try DomainName("example.test"), .a)
        }
        #expect(error?.kind == .timeout)
        #expect(error?.server == silent.nameserver.description)
    }

    @Test func failsOverFromADeadNameserverToALiveOne() async throws {
        try await withServer { server in
            let silent = try SilentServer()
            let resolver = LDNSResolver(
                nameservers: [silent.nameserver, server.nameserver], timeout: .seconds(1), attempts: 1)
            let response = try await resolver.query(try DomainName("example.test"), .a)
            #expect(response.outcome == .answer)
            #expect(response.server == server.nameserver.description)
        }
    }

    @Test func keepsAskingAServerAfterItTimedOut() async throws {
        // ldns' own resolver marks a server dead after one timeout and then fails every later
        // query at once without sending it; ours must send each query.
        let silent = try FaultyServer(.silent)
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .milliseconds(200), attempts: 1)
        for _ in 0..<2 {
            let error = await #expect(throws: DNSError.self) { try await resolver.query(try DomainName("example.test"), .a) }
            #expect(error?.kind == .timeout)
        }
        #expect(silent.queryCount == 2)
    }

    @Test func answersOverTCPOnlyWhenAsked() async throws {
        try await withServer { server in
            let response = try await server.resolver(tcpOnly: true).query(try DomainName("example.test"), .mx)
            #expect(response.transport == .tcp)
            #expect(!response.truncatedOverUDP)
            #expect(response.mx.map(\.preference).sorted() == [10, 20])
        }
    }

    @Test func doesNotBlockThePoolWith200QueriesToASilentPort() async throws {
        let silent = try SilentServer()
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .seconds(1), attempts: 1)
        let started = ContinuousClock.now
        let kinds = await withTaskGroup(of: DNSError.Kind?.self) { group in
            for index in 0..<200 {
                group.addTask {
                    do {
                        _ = try await resolver.query(try! DomainName("q\(index).example.test"), .a)
                        return nil
                    } catch {
                        return (error as? DNSError)?.kind
                    }
                }
            }
            return await group.reduce(into: [DNSError.Kind?]()) { $0.append($1) }
        }
        #expect(kinds.count == 200)
        #expect(kinds.allSatisfy { $0 == .timeout })
        // Serialised on the 2-thread pool this would take 100 s; run concurrently it takes about 1 s.
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    /// The deadline reaches every wait inside the resolver: a UDP reply that never comes (the
    /// query timeout is 30 s) and a turn behind a query holding the only slot. Both end with
    /// deadlineExceeded at the deadline, leader and joiner of a cached lookup alike.
    @Test func anEvaluationDeadlineEndsWaitsInsideTheResolver() async throws {
        let silent = try SilentServer()
        let resolver = LDNSResolver(
            LDNSResolver.Configuration(nameservers: [silent.nameserver], timeout: .seconds(30), attempts: 1, maximumInFlight: 1))
        let bounded = DeadlineResolver(CachingResolver(resolver), timeout: .milliseconds(300))
        let started = ContinuousClock.now
        let kinds = await withTaskGroup(of: DNSError.Kind?.self) { group in
            // The first two share one lookup (leader and joiner); the third waits for the slot.
            for text in ["a.example.test", "a.example.test", "b.example.test"] {
                group.addTask {
                    do {
                        _ = try await bounded.query(try! DomainName(text), .a)
                        return nil
                    } catch {
                        return (error as? DNSError)?.kind
                    }
                }
            }
            return await group.reduce(into: [DNSError.Kind?]()) { $0.append($1) }
        }
        #expect(kinds == [.deadlineExceeded, .deadlineExceeded, .deadlineExceeded])
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func honoursTaskCancellation() async throws {
        let silent = try SilentServer()
        let resolver = LDNSResolver(nameservers: [silent.nameserver], timeout: .seconds(30), attempts: 3)
        let task = Task { () -> DNSError.Kind? in
            do {
                _ = try await resolver.query(try DomainName("example.test"), .a)
                return nil
            } catch {
                return (error as? DNSError)?.kind
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let kind = await task.value
        #expect(kind == .cancelled)
    }

    @Test func reportsTheAuthenticatedDataFlagItReceived() async throws {
        // Knot is authoritative, not validating: AD must come back clear even when DO is set.
        try await withServer { server in
            let resolver = LDNSResolver(
                LDNSResolver.Configuration(nameservers: [server.nameserver], timeout: .seconds(2), dnssecOK: true))
            let response = try await resolver.query(try DomainName("example.test"), .a)
            #expect(response.outcome == .answer)
            #expect(!response.authenticatedData)
        }
    }

    /// Hundreds of questions in flight on shared UDP sockets: every reply reaches the query it
    /// answers (matched by ID and question), so each outcome equals the zone file's.
    @Test func concurrentQueriesOnSharedSocketsEachGetTheirOwnAnswer() async throws {
        let zone = try ZoneResolver(zoneFiles: [Self.zones + "/example.test.zone", Self.zones + "/other.test.zone"])
        let questions = try [
            ("example.test", RecordType.a), ("example.test", .mx), ("split.example.test", .txt),
            ("txtonly.example.test", .a), ("b.c.example.test", .a), ("nothing.example.test", .txt),
            ("one.example.test", .a), ("example.test", .aaaa), ("example.test", .txt), ("www.example.test", .a),
        ].map { DNSQuestion(try DomainName($0.0), $0.1) }
        let asked = (0..<30).flatMap { _ in questions }.shuffled()
        try await withServer { server in
            let resolver = server.resolver()
            let answers = try await withThrowingTaskGroup(of: (DNSQuestion, DNSResponse).self) { group in
                for question in asked {
                    group.addTask { (question, try await resolver.query(question)) }
                }
                return try await group.reduce(into: [(DNSQuestion, DNSResponse)]()) { $0.append($1) }
            }
            #expect(answers.count == asked.count)
            for (question, live) in answers {
                let offline = try await zone.query(question)
                #expect(live.question == question)
                #expect(live.outcome == offline.outcome, "\(question)")
                #expect(Set(live.records.map(\.data)) == Set(offline.records.map(\.data)), "\(question)")
            }
        }
    }

    /// The zone-file reader must give the same outcomes as the server that loads the same file.
    @Test(arguments: [
        ("example.test", "A"), ("example.test", "MX"), ("split.example.test", "TXT"), ("txtonly.example.test", "A"),
        ("b.c.example.test", "A"), ("nothing.example.test", "TXT"), ("one.example.test", "A"),
        ("dangling.example.test", "A"), ("big.example.test", "TXT"), ("example.test", "AAAA"),
    ])
    func zoneResolverAgreesWithTheServer(name: String, type: String) async throws {
        let zone = try ZoneResolver(zoneFiles: [Self.zones + "/example.test.zone", Self.zones + "/other.test.zone"])
        try await withServer { server in
            let question = DNSQuestion(try DomainName(name), RecordType(type)!)
            let live = try await server.resolver().query(question)
            let offline = try await zone.query(question)
            #expect(live.outcome == offline.outcome)
            #expect(Set(live.records.map(\.data)) == Set(offline.records.map(\.data)))
            #expect(live.cnameChain == offline.cnameChain)
            #expect(live.negativeTTL == offline.negativeTTL)
        }
    }
}
