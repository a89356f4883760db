import DNSCore
@testable import DNSLDNS
import Foundation
import TestSupport
import Testing

/// DNSSEC validation by dnsaudit itself, against a signed tree (fake root, `test.`,
/// `example.test.` and broken children) made fresh by ldns-signzone and served by Knot on
/// 127.0.0.1, with the fake root's key as the trust anchor.
///
/// Without ldnsutils or Knot the tests fail, naming the package (scripts/install-deps --test).
@Suite struct DNSSECValidationTests {
    /// The tree served by Knot, validated over the network.
    static func withServer<T>(_ body: (DNSSECValidator, KnotServer) async throws -> T) async throws -> T {
        let directory = try await SignedTree.directory()
        let anchors = try await SignedTree.anchors()
        return try await KnotServer.with(zoneDirectory: directory) { server in
            try await body(DNSSECValidator(source: server.resolver(), trustAnchors: anchors), server)
        }
    }

    /// The same tree read from its zone files (`--zone`), no network.
    static func zoneValidator(now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }) async throws -> DNSSECValidator {
        let directory = try await SignedTree.directory()
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".zone") }
        var records: [ResourceRecord] = []
        for file in files {
            records += try ZoneResolver.readZoneFile(directory + "/" + file, origin: file == "root.zone" ? .root : nil)
        }
        return DNSSECValidator(
            source: ZoneResolver(records: records, description: "signed tree"), trustAnchors: try await SignedTree.anchors(),
            now: now)
    }

    static func question(_ name: String, _ type: RecordType) throws -> DNSQuestion {
        DNSQuestion(try DomainName(name), type)
    }

    /// What each name of the tree validates to: the result and the reason's code.
    static let expectations: [(name: String, type: RecordType, security: DNSSECSecurity, reason: String)] = [
        ("example.test", .mx, .secure, "chain-of-trust"),
        ("mx.example.test", .a, .secure, "chain-of-trust"),
        ("_25._tcp.mx.example.test", .tlsa, .secure, "chain-of-trust"),
        ("_25._tcp.mx3.example.test", .tlsa, .secure, "chain-of-trust"),
        ("_mta-sts.example.test", .txt, .secure, "chain-of-trust"),
        ("alias.example.test", .a, .secure, "chain-of-trust"),
        ("mx.old.example.test", .a, .secure, "chain-of-trust"),
        ("nothere.example.test", .a, .secure, "chain-of-trust"),
        ("example.test", .aaaa, .secure, "chain-of-trust"),
        ("x.wild.example.test", .txt, .secure, "chain-of-trust"),
        ("x.wild.test", .txt, .secure, "chain-of-trust"),
        ("nothere.test", .a, .secure, "chain-of-trust"),
        ("mail.insecure.example.test", .a, .insecure, "unsigned-delegation"),
        ("optout.test", .mx, .insecure, "opt-out-delegation"),
        ("unsupported.test", .mx, .insecure, "unsupported-algorithm"),
        ("expired.test", .mx, .bogus, "signature-expired"),
        ("nokey.test", .mx, .bogus, "no-key-matches-ds"),
        ("nodnskey.test", .mx, .bogus, "missing-dnskey"),
        ("manykeys.test", .mx, .secure, "chain-of-trust"),
        ("keytrap.test", .mx, .bogus, "work-limit-exceeded"),
        ("iterations.test", .mx, .secure, "chain-of-trust"),
        ("nothere.iterations.test", .a, .insecure, "nsec3-iterations-above-limit"),
    ]

    @Test func eachNameOfTheSignedTreeValidatesAsExpectedAgainstKnot() async throws {
        try await Self.withServer { validator, _ in
            for expected in Self.expectations {
                let result = await validator.validate(try Self.question(expected.name, expected.type), timeout: .seconds(10))
                #expect(result.security == expected.security, "\(expected.name) \(expected.type): \(result.summary)")
                #expect(result.reason.code == expected.reason, "\(expected.name) \(expected.type): \(result.summary)")
            }
        }
    }

    @Test func theSameTreeValidatesTheSameFromItsZoneFiles() async throws {
        let validator = try await Self.zoneValidator()
        for expected in Self.expectations {
            let result = await validator.validate(try Self.question(expected.name, expected.type), timeout: .seconds(10))
            #expect(result.security == expected.security, "\(expected.name) \(expected.type): \(result.summary)")
            #expect(result.reason.code == expected.reason, "\(expected.name) \(expected.type): \(result.summary)")
        }
    }

    @Test func aSecureAnswerCarriesItsRecordsOutcomeAndChain() async throws {
        try await Self.withServer { validator, _ in
            let mx = await validator.validate(try Self.question("example.test", .mx), timeout: .seconds(10))
            #expect(mx.outcome == .answer)
            #expect(mx.records.map(\.type) == [.mx, .mx, .mx])
            let tlsa = await validator.validate(try Self.question("_25._tcp.mx3.example.test", .tlsa), timeout: .seconds(10))
            #expect(tlsa.cnameChain == [try DomainName("_25._tcp.mx.example.test")])
            #expect(tlsa.records.map(\.type) == [.tlsa])
            let alias = await validator.validate(try Self.question("alias.example.test", .a), timeout: .seconds(10))
            #expect(alias.cnameChain == [try DomainName("mx.example.test")])
            #expect(alias.records.first?.data == .a(IPv4Address(0xC000_0219)))
            let missing = await validator.validate(try Self.question("nothere.example.test", .a), timeout: .seconds(10))
            #expect(missing.outcome == .nxdomain)
            let nodata = await validator.validate(try Self.question("example.test", .aaaa), timeout: .seconds(10))
            #expect(nodata.outcome == .nodata)
        }
    }

    /// The clock decides: the same signatures are expired two months on and not yet valid a day
    /// before they were made.
    @Test func signaturesAreCheckedAgainstTheValidatorsClock() async throws {
        let now = Int(Date().timeIntervalSince1970)
        let later = try await Self.zoneValidator(now: { now + 60 * 86_400 })
        let late = await later.validate(try Self.question("example.test", .mx), timeout: .seconds(10))
        #expect(late.security == .bogus)
        #expect(late.reason.code == "signature-expired")
        let earlier = try await Self.zoneValidator(now: { now - 86_400 })
        let early = await earlier.validate(try Self.question("example.test", .mx), timeout: .seconds(10))
        #expect(early.reason.code == "signature-not-yet-valid")
    }

    @Test func anAnchorThatMatchesNoRootKeyIsReported() async throws {
        let directory = try await SignedTree.directory()
        let other = try DNSSECTrustAnchors(contentsOf: directory + "/keys/" + (try FileManager.default.contentsOfDirectory(
            atPath: directory + "/keys").first { $0.hasPrefix("Kexample.test.") && $0.hasSuffix(".key") } ?? "missing"))
        // An anchor for example.test. only: names under test. have none.
        let validator = DNSSECValidator(source: try await Self.zoneValidator().source, trustAnchors: other)
        let result = await validator.validate(try Self.question("nokey.test", .mx), timeout: .seconds(5))
        #expect(result.security == .indeterminate)
        #expect(result.reason.code == "no-trust-anchor")
        let wrongRoot = DNSSECTrustAnchors(other.records.values.flatMap { $0 }.map {
            ResourceRecord(name: .root, ttl: $0.ttl, data: $0.data)
        })
        let mismatch = await DNSSECValidator(source: try await Self.zoneValidator().source, trustAnchors: wrongRoot)
            .validate(try Self.question("example.test", .mx), timeout: .seconds(5))
        #expect(mismatch.reason == .trustAnchorMismatch(zone: .root))
    }

    /// A server that never answers: the validation ends at its deadline, indeterminate.
    @Test func aSilentServerEndsAtTheDeadline() async throws {
        let silent = try SilentServer()
        let validator = DNSSECValidator(
            source: LDNSResolver(nameservers: [silent.nameserver], timeout: .seconds(5), attempts: 3),
            trustAnchors: try await SignedTree.anchors())
        let started = ContinuousClock.now
        let result = await validator.validate(try Self.question("example.test", .mx), timeout: .milliseconds(500))
        // A hang guard, not a timing: the resolver alone would wait 3 × 5 s.
        #expect(ContinuousClock.now - started < .seconds(10))
        #expect(result.security == .indeterminate)
        #expect(result.reason.code == "deadline-exceeded")
    }

    /// The tree `--verbose` prints for a secure answer is the one `drill -S` draws.
    @Test func theTrustTreeIsDrawnAsDrillDrawsIt() async throws {
        let directory = try await SignedTree.directory()
        try await Self.withServer { validator, server in
            let result = await validator.validate(try Self.question("example.test", .mx), timeout: .seconds(10))
            let drill = try await DrillReference.chase("example.test", "MX", port: server.port, directory: directory)
            #expect(drill.successful)
            #expect(result.trust.rendered() == drill.tree)
        }
    }
}

/// `drill -S` (ldnsutils), the reference chaser, run against the same server and anchor.
enum DrillReference {
    struct Chase {
        var output: String
        var status: Int32
        /// `;; Chase successful`.
        var successful: Bool { output.contains(";; Chase successful") }
        /// `;; Chase failed.`
        var failed: Bool { output.contains(";; Chase failed") }
        /// The lines between `DNSSEC Trust tree:` and the verdict.
        var tree: String {
            let lines = output.split(separator: "\n", omittingEmptySubsequences: false)
            guard let start = lines.firstIndex(of: "DNSSEC Trust tree:") else { return "" }
            return lines[(start + 1)...].prefix { !$0.hasPrefix(";;") && !$0.isEmpty }.joined(separator: "\n")
        }
    }

    static var drill: String? { FileManager.default.isExecutableFile(atPath: "/usr/bin/drill") ? "/usr/bin/drill" : nil }

    /// `drill -S` over TCP (`-t`: drill never retries a truncated UDP answer over TCP).
    static func chase(_ name: String, _ type: String, port: UInt16, directory: String) async throws -> Chase {
        let output = try await ProcessRunner.run(
            drill ?? "/usr/bin/drill", ["-t", "-p", String(port), "-k", directory + "/anchor.key", "-S", name, type, "@127.0.0.1"],
            timeout: 30)
        return Chase(output: output.stdoutText + output.stderrText, status: output.status)
    }
}

/// Our validation against `drill -S` on every name of the signed tree. Where they differ, the
/// difference is listed with the RFC section that decides it.
@Suite struct DNSSECDrillComparisonTests {
    /// Names where drill -S and RFC 4035 disagree, and why we follow the RFC.
    static let documentedDifferences: [String: String] = [
        // drill reports "No DNSSEC public key(s)" for a provably unsigned delegation; RFC 4035
        // §5.2 says a signed proof of no DS makes the child insecure, not a failure.
        "mail.insecure.example.test": "RFC 4035 §5.2",
        // Same, for a delegation inside an NSEC3 opt-out span (RFC 5155 §6, §8.6).
        "optout.test": "RFC 5155 §8.6",
        // drill fails on a DS of an algorithm it cannot use; RFC 4035 §5.2: treat as unsigned.
        "unsupported.test": "RFC 4035 §5.2",
        // drill hashes any number of NSEC3 iterations; RFC 9276 §3.2 lets a validator treat
        // more than it accepts (we, Unbound and BIND: 150) as insecure.
        "nothere.iterations.test": "RFC 9276 §3.2",
        // drill looks for a signature over the CNAME a DNAME synthesised, which has none; RFC 6672
        // §5.3.1: validate the signed DNAME and check the CNAME is its substitution.
        "mx.old.example.test": "RFC 6672 §5.3.1",
        // drill crashes (SIGSEGV, ldns 1.8.3) when the DNSKEY RRset is missing; we say bogus.
        "nodnskey.test": "RFC 4035 §5.2 (drill crashes)",
    ]

    @Test func weAgreeWithDrillOnEveryNameOrTheDifferenceIsDocumented() async throws {
        let directory = try await SignedTree.directory()
        try await DNSSECValidationTests.withServer { validator, server in
            for expected in DNSSECValidationTests.expectations {
                let ours = await validator.validate(try DNSSECValidationTests.question(expected.name, expected.type), timeout: .seconds(10))
                let drill = try await DrillReference.chase(expected.name, expected.type.description, port: server.port, directory: directory)
                // drill has two verdicts: success (secure) and failure (anything else).
                let agree = switch ours.security {
                case .secure: drill.successful
                case .bogus: drill.failed
                case .insecure, .indeterminate: false
                }
                let detail = "\(expected.name) \(expected.type): drill (exit \(drill.status)) \(drill.output.suffix(200)); ours \(ours.summary)"
                if let rfc = Self.documentedDifferences[expected.name] {
                    // A documented difference must still be one: if drill starts agreeing, the entry goes.
                    #expect(!agree, "drill agrees now; drop the documented difference (\(rfc)): \(detail)")
                } else {
                    #expect(agree, "\(detail)")
                }
            }
        }
    }
}

/// The tree split over two authoritative servers, as on the Internet: one serves the fake root
/// and `test.`, the other `example.test.` and its unsigned child. Each refers questions it does
/// not serve; the validator's questions reach the server that serves each zone.
@Suite struct DNSSECAuthoritativeServersTests {
    static func split(_ directory: String, _ files: [String]) throws -> String {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-split-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        for file in files { try FileManager.default.copyItem(atPath: directory + "/" + file, toPath: target + "/" + file) }
        return target
    }

    @Test func referralsFromTheRootServerLeadToTheChildsServer() async throws {
        let directory = try await SignedTree.directory()
        let upper = try Self.split(directory, ["root.zone", "test.zone"])
        let lower = try Self.split(directory, ["example.test.zone", "insecure.example.test.zone"])
        defer {
            try? FileManager.default.removeItem(atPath: upper)
            try? FileManager.default.removeItem(atPath: lower)
        }
        let anchors = try await SignedTree.anchors()
        try await KnotServer.with(zoneDirectory: upper) { root in
            try await KnotServer.with(zoneDirectory: lower) { child in
                let resolver = LDNSResolver(nameservers: [root.nameserver, child.nameserver], timeout: .seconds(2), attempts: 1)
                // The root's server refers example.test. questions elsewhere.
                let referral = try await LDNSResolver(nameservers: [root.nameserver], timeout: .seconds(2), attempts: 1)
                    .dnssecMessage(DNSQuestion(try DomainName("example.test"), .mx))
                #expect(referral.isReferral)
                #expect(referral.authority.contains { $0.type == .ds })
                let validator = DNSSECValidator(source: resolver, trustAnchors: anchors)
                for (name, type, security, reason) in [
                    ("example.test", RecordType.mx, DNSSECSecurity.secure, "chain-of-trust"),
                    ("nothere.example.test", .a, .secure, "chain-of-trust"),
                    ("mail.insecure.example.test", .a, .insecure, "unsigned-delegation"),
                ] {
                    let result = await validator.validate(DNSQuestion(try DomainName(name), type), timeout: .seconds(10))
                    #expect(result.security == security, "\(name): \(result.summary)")
                    #expect(result.reason.code == reason, "\(name): \(result.summary)")
                }
                // Only the root's server: the answer never comes, so nothing is claimed.
                let rootOnly = DNSSECValidator(
                    source: LDNSResolver(nameservers: [root.nameserver], timeout: .seconds(2), attempts: 1), trustAnchors: anchors)
                let stuck = await rootOnly.validate(DNSQuestion(try DomainName("example.test"), .mx), timeout: .seconds(10))
                #expect(stuck.security == .indeterminate, "\(stuck.summary)")
            }
        }
    }
}
