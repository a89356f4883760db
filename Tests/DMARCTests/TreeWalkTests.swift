@testable import DMARC
import DNSCore
import Foundation
import TestSupport
import Testing

/// One vector of `Fixtures/dmarc/dmarc-rfc9989-tree-walk-vectors.json` (RFC 9989 §4.10, §4.10.2,
/// §5.1.8, Appendix B.4).
struct TreeWalkVector: Decodable, Sendable, CustomTestStringConvertible {
    let id: String
    let kind: String
    let start: String?
    let records: [String: String]
    let expectedQueries: [String]?
    let expectedOrganizationalDomain: String?
    let expectedPolicyDomain: String?
    let authorDomain: String?
    let mailfromDomain: String?
    let dkimDomain: String?
    let expected: [String: JSONValue]?

    enum CodingKeys: String, CodingKey {
        case id, kind, start, records, expected
        case expectedQueries = "expected_queries"
        case expectedOrganizationalDomain = "expected_organizational_domain"
        case expectedPolicyDomain = "expected_policy_domain"
        case authorDomain = "author_domain"
        case mailfromDomain = "mailfrom_domain"
        case dkimDomain = "dkim_domain"
    }

    var testDescription: String { id }

    static let all: [TreeWalkVector] = {
        struct File: Decodable { let vectors: [TreeWalkVector] }
        do {
            return try JSONDecoder().decode(File.self, from: Fixtures.data("dmarc/dmarc-rfc9989-tree-walk-vectors.json"))
                .vectors
        } catch { fatalError("\(error)") }
    }()

    /// The placeholder records made concrete: the RFC says only whether a record exists and its psd.
    var zone: ZoneResolver {
        Zone.resolver(records.map { name, placeholder in
            var text = "v=DMARC1; p=reject"
            if placeholder.contains("psd=y") { text += "; psd=y" }
            if placeholder.contains("psd=n") { text += "; psd=n" }
            return Zone.txt(name, text)
        })
    }
}

@Suite struct TreeWalkVectorTests {
    @Test("The RFC 9989 tree-walk vectors pass with their exact queries", arguments: TreeWalkVector.all)
    func vector(_ vector: TreeWalkVector) async throws {
        switch vector.kind {
        case "tree_walk_queries", "organizational_domain":
            let resolver = RecordingResolver(vector.zone)
            let walk = await TreeWalk.walk(from: Zone.name(try #require(vector.start)), resolver: resolver)
            #expect(resolver.txtNames == vector.expectedQueries)
            #expect(walk.queriedNames.map(\.description) == vector.expectedQueries)
            #expect(walk.steps.count <= TreeWalk.maximumQueries)
            if let expected = vector.expectedOrganizationalDomain {
                #expect(walk.organizationalDomain.description == expected)
            }
        case "policy_discovery":
            let resolver = RecordingResolver(vector.zone)
            let discovery = await DMARCDiscoverer(resolver: resolver).discoverPolicy(for: Zone.name(try #require(vector.start)))
            #expect(resolver.txtNames == vector.expectedQueries)
            #expect(discovery.policyDomain?.description == vector.expectedPolicyDomain)
            #expect(discovery.status == .found)
        case "alignment":
            try await alignment(vector)
        default:
            Issue.record("unknown vector kind \(vector.kind)")
        }
    }

    private func alignment(_ vector: TreeWalkVector) async throws {
        let expected = try #require(vector.expected)
        let author = Zone.name(try #require(vector.authorDomain))
        let named: [String: String] = ["author": author.description]
        var compared = 0
        for (key, value) in expected {
            guard let open = key.firstIndex(of: "("), key.hasSuffix(")") else { continue }
            let argument = String(key[key.index(after: open)..<key.index(before: key.endIndex)])
            let domain = Zone.name(named[argument] ?? argument)
            let resolver = RecordingResolver(vector.zone)
            let walk = await TreeWalk.walk(from: domain, resolver: resolver)
            if key.hasPrefix("org_domain(") {
                #expect(walk.organizationalDomain.description == value.string, "\(key)")
            } else if key.hasPrefix("queries_for_org(") {
                #expect(resolver.txtNames == value.array?.compactMap(\.string), "\(key)")
            }
            compared += 1
        }
        #expect(compared >= 2)

        let evaluator = DMARCEvaluator(resolver: vector.zone)
        let input = DMARCInput(
            fromDomain: author,
            spf: .init(domain: Zone.name(try #require(vector.mailfromDomain)), result: .pass),
            dkim: [.init(domain: Zone.name(try #require(vector.dkimDomain)), result: .pass)])
        let evaluation = await evaluator.evaluate(input)
        #expect(evaluation.discovery.policyDomain?.description == expected["policy_domain"]?.string)
        if let spf = expected["spf_aligned_relaxed"]?.bool {
            #expect(evaluation.checks.first { $0.mechanism == .spf }?.aligned == spf)
        }
        if let dkim = expected["dkim_aligned_relaxed"]?.bool {
            #expect(evaluation.checks.first { $0.mechanism == .dkim }?.aligned == dkim)
        }
        #expect(evaluation.result == .pass)
    }

    @Test func theFileHasNineVectors() {
        #expect(TreeWalkVector.all.count == 9)
    }
}

@Suite struct TreeWalkTests {
    @Test func aWalkNeverMakesMoreThanEightQueries() async {
        let labels = (1...40).map { "l\($0)" }.joined(separator: ".") + ".example.com"
        let resolver = RecordingResolver(Zone.resolver([]))
        let walk = await TreeWalk.walk(from: Zone.name(labels), resolver: resolver)
        #expect(resolver.questions.count == TreeWalk.maximumQueries)
        #expect(walk.stop == .reachedTopLevel)
        #expect(resolver.txtNames.last == "_dmarc.com")
    }

    @Test func severalRecordsAtOneNameCountAsNone() async {
        let zone = Zone.resolver([
            Zone.txt("_dmarc.mail.example.com", "v=DMARC1; p=reject; psd=n"),
            Zone.txt("_dmarc.mail.example.com", "v=DMARC1; p=none"),
            Zone.txt("_dmarc.example.com", "v=DMARC1; p=quarantine"),
        ])
        let walk = await TreeWalk.walk(from: Zone.name("mail.example.com"), resolver: zone)
        guard case .multipleRecords(let texts) = walk.steps.first?.outcome else {
            Issue.record("expected multipleRecords, got \(String(describing: walk.steps.first?.outcome))")
            return
        }
        #expect(texts.count == 2)
        #expect(walk.organizationalDomain.description == "example.com")
        #expect(walk.steps.count == 3)
    }

    @Test func recordsNotStartingWithTheVersionAreDiscarded() async {
        let zone = Zone.resolver([
            Zone.txt("_dmarc.example.com", "p=reject; v=DMARC1"),
            Zone.txt("_dmarc.example.com", "v=DMARC1; p=quarantine"),
            Zone.txt("_dmarc.example.com", "some other text"),
        ])
        let walk = await TreeWalk.walk(from: Zone.name("example.com"), resolver: zone)
        #expect(walk.steps.first?.record?.policy == .quarantine)
    }

    @Test func aDNSFailureStopsTheWalkAsATemporaryError() async {
        let zone = Zone.resolver([Zone.txt("_dmarc.example.com", "v=DMARC1; p=reject")],
                                 failures: ["_dmarc.mail.example.com": .serverFailure])
        let walk = await TreeWalk.walk(from: Zone.name("a.mail.example.com"), resolver: zone)
        #expect(walk.stop == .temporaryError)
        #expect(!walk.isComplete)
        #expect(walk.failure?.kind == .serverFailure)
        #expect(walk.steps.count == 2)
    }

    @Test(arguments: [
        ("com", ["com"]),
        ("a.b.c.d.e.f.g.h", ["a.b.c.d.e.f.g.h", "b.c.d.e.f.g.h", "c.d.e.f.g.h", "d.e.f.g.h", "e.f.g.h", "f.g.h", "g.h", "h"]),
        ("a.b.c.d.e.f.g", ["a.b.c.d.e.f.g", "b.c.d.e.f.g", "c.d.e.f.g", "d.e.f.g", "e.f.g", "f.g", "g"]),
    ])
    func targetsFollowTheShorteningRule(_ start: String, _ expected: [String]) {
        #expect(TreeWalk.targets(from: Zone.name(start)).map(\.description) == expected)
    }

    @Test func theWalkHasADeadline() async {
        struct SlowResolver: DNSResolver {
            var resolverDescription: String { "slow" }
            func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
                try? await Task.sleep(for: .seconds(30))
                throw DNSError(.timeout, question: question)
            }
        }
        let clock = ContinuousClock()
        let start = clock.now
        let discovery = await DMARCDiscoverer(resolver: SlowResolver(), timeout: .milliseconds(200))
            .discoverPolicy(for: Zone.name("example.com"))
        #expect(clock.now - start < .seconds(30), "bounded by the 200 ms deadline, not the slow resolver")
        guard case .temporaryError(let failure) = discovery.status else {
            Issue.record("expected a temporary error, got \(discovery.status)")
            return
        }
        #expect(failure.kind == .deadlineExceeded)
    }
}

/// The deadline the CLI scales from `--timeout`: the walk's questions one after another.
@Suite struct DMARCCheckerTimeoutTests {
    @Test(arguments: [(Duration.milliseconds(300), Duration.seconds(20)), (.seconds(2), .seconds(20)), (.seconds(5), .seconds(40))])
    func isTheWalksQuestionsTimeAndAtLeastTheDefault(perQuestion: Duration, expected: Duration) {
        #expect(DMARCChecker.timeout(perQuestion: perQuestion) == expected)
    }
}
