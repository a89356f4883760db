import DNSCore
@testable import DNSLDNS
import Foundation
import TestSupport
import Testing

/// Zones built to make a validator work without end: many keys sharing one key tag (KeyTrap,
/// CVE-2023-50387), signer names that do not enclose what they sign (a loop if followed), CNAME
/// loops. Each ends quickly with a result that names the problem.
@Suite struct DNSSECHostileInputTests {
    /// The signed tree's records, with `edit` applied, validated from zone data.
    static func validator(_ edit: (inout [ResourceRecord]) throws -> Void) async throws -> DNSSECValidator {
        let directory = try await SignedTree.directory()
        var records: [ResourceRecord] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory) where file.hasSuffix(".zone") {
            records += try ZoneResolver.readZoneFile(directory + "/" + file, origin: file == "root.zone" ? .root : nil)
        }
        try edit(&records)
        return DNSSECValidator(source: ZoneResolver(records: records), trustAnchors: try await SignedTree.anchors())
    }

    /// keytrap.test. (made by make-signed-tree) publishes 100 made-up DNSKEYs sharing its
    /// ZSK's key tag and algorithm, and signs them: trying each would cost 100 verifications
    /// per signature (KeyTrap, CVE-2023-50387). The limit ends it at once.
    @Test func aHundredKeysSharingTheSigningKeysTagEndWithTheWorkLimit() async throws {
        let zone = try DomainName("keytrap.test")
        let validator = try await Self.validator { _ in }
        let result = await validator.validate(DNSQuestion(zone, .mx), timeout: .seconds(5))
        // The reason, not a timing, shows the limit ended it: at the deadline it would be
        // indeterminate with deadline-exceeded.
        #expect(result.security == .bogus)
        #expect(result.reason == .workLimitExceeded(.keysPerSignature), "\(result.summary)")
    }

    /// An RRSIG whose signer lies below the data it signs would send the walk down, not up.
    @Test func aSignerBelowTheDataIsBogusNotFollowed() async throws {
        let owner = try DomainName("mx.example.test")
        let validator = try await Self.validator { records in
            records = try records.map { record in
                guard record.name == owner, record.typeCovered == .a, case .other(_, let bytes) = record.data else { return record }
                let signer = LDNSWire.wireName(try DomainName("deeper.mx.example.test"))
                let oldSigner = try #require(RRSIGFields(record)).signer
                let rest = Array(bytes[(18 + LDNSWire.wireName(oldSigner).count)...])
                return ResourceRecord(name: record.name, ttl: record.ttl, data: .other(.rrsig, Array(bytes[..<18]) + signer + rest))
            }
        }
        let result = await validator.validate(DNSQuestion(owner, .a), timeout: .seconds(5))
        #expect(result.reason == .signerNotEnclosing(rrset: DNSQuestion(owner, .a), signer: try DomainName("deeper.mx.example.test")))
    }

    /// A DS signed by the child itself (a signer that does not lie strictly above it) is refused:
    /// following it would ask the child's keys for the child's keys. Zone data never serves such
    /// a DS signature, so a source rewrites the server's answer.
    @Test func aDSSignedByItsOwnZoneIsBogus() async throws {
        let child = try DomainName("example.test")
        let base = try await Self.validator { _ in }
        let source = RewritingSource(base: base.source) { message in
            guard message.question == DNSQuestion(child, .ds) else { return message }
            var rewritten = message
            rewritten.answer = message.answer.map { record in
                guard record.typeCovered == .ds, case .other(_, let bytes) = record.data, let fields = RRSIGFields(record)
                else { return record }
                let rest = bytes[(18 + LDNSWire.wireName(fields.signer).count)...]
                return ResourceRecord(name: record.name, ttl: record.ttl, data: .other(.rrsig, Array(bytes[..<18]) + LDNSWire.wireName(child) + rest))
            }
            return rewritten
        }
        let validator = DNSSECValidator(source: source, trustAnchors: base.trustAnchors)
        let result = await validator.validate(DNSQuestion(child, .mx), timeout: .seconds(5))
        #expect(result.security == .bogus)
        #expect(result.reason == .signerNotEnclosing(rrset: DNSQuestion(child, .ds), signer: child))
    }

    /// CNAMEs that loop, in an insecure zone (so each link is accepted as insecure and followed).
    @Test func aCNAMELoopEndsWithTheChainLimit() async throws {
        let first = try DomainName("one.insecure.example.test")
        let second = try DomainName("two.insecure.example.test")
        let validator = try await Self.validator { records in
            records.append(ResourceRecord(name: first, data: .cname(second)))
            records.append(ResourceRecord(name: second, data: .cname(first)))
        }
        let result = await validator.validate(DNSQuestion(first, .a), timeout: .seconds(5))
        #expect(result.reason == .workLimitExceeded(.cnameChain), "\(result.summary)")
    }

    /// Every question of a validation counts against one budget. Unsigned data deep inside a
    /// signed zone makes the proof of insecurity ask the DS of each of its 70 labels: it ends
    /// with the limit named, not with 70 more questions.
    @Test func aVeryDeepUnsignedNameEndsWithTheQueryLimit() async throws {
        let deep = try DomainName(labels: Array(repeating: "a", count: 70) + ["example", "test"])
        let validator = try await Self.validator { records in
            records.append(ResourceRecord(name: deep, data: .a(IPv4Address(0x7F00_0001))))
        }
        let result = await validator.validate(DNSQuestion(deep, .a), timeout: .seconds(5))
        #expect(result.reason == .workLimitExceeded(.queries), "\(result.summary)")
    }
}

/// A source that passes every message of `base` through `rewrite`: a server that lies.
struct RewritingSource: DNSSECMessageSource {
    let base: any DNSSECMessageSource
    let rewrite: @Sendable (DNSSECMessage) -> DNSSECMessage

    func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage {
        rewrite(try await base.dnssecMessage(question))
    }
}

/// A source that counts the questions that reach it.
final class CountingSource: DNSSECMessageSource, @unchecked Sendable {
    let base: any DNSSECMessageSource
    private let count = LockedState(0)
    init(_ base: any DNSSECMessageSource) { self.base = base }
    var questions: Int { count.withLock { $0 } }

    func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage {
        count.withLock { $0 += 1 }
        return try await base.dnssecMessage(question)
    }
}

@Suite struct DNSSECMessageCacheTests {
    /// The chain above a domain (the root's and the TLD's keys, the domain's DS) is asked once
    /// per validator: a second domain under the same TLD asks only its own questions.
    @Test func aSecondValidationAsksOnlyWhatTheFirstDidNotLearn() async throws {
        let base = try await DNSSECHostileInputTests.validator { _ in }
        let counting = CountingSource(base.source)
        let validator = DNSSECValidator(source: counting, trustAnchors: base.trustAnchors)
        let first = await validator.validate(DNSQuestion(try DomainName("example.test"), .mx), timeout: .seconds(5))
        #expect(first.security == .secure)
        let afterFirst = counting.questions
        #expect(afterFirst >= 6)  // MX, and DNSKEY and DS of example.test., test., and the root's DNSKEY
        let again = await validator.validate(DNSQuestion(try DomainName("example.test"), .mx), timeout: .seconds(5))
        #expect(again.security == .secure)
        #expect(counting.questions == afterFirst)
        let other = await validator.validate(DNSQuestion(try DomainName("mx.example.test"), .a), timeout: .seconds(5))
        #expect(other.security == .secure)
        #expect(counting.questions == afterFirst + 1)
    }

    /// Many validations at once through one validator and one cache, over Knot (the audit runs
    /// the TXT and TLSA validations concurrently; a bulk audit, many domains): each gets its
    /// own answer. Run under ThreadSanitizer by scripts/test stage 4.
    @Test func concurrentValidationsShareTheCacheSafely() async throws {
        try await DNSSECValidationTests.withServer { validator, _ in
            let expectations = DNSSECValidationTests.expectations
            let results = await withTaskGroup(of: (Int, DNSSECValidation?).self) { group in
                for _ in 0..<3 {
                    for (index, expected) in expectations.enumerated() {
                        group.addTask {
                            guard let question = try? DNSSECValidationTests.question(expected.name, expected.type) else {
                                return (index, nil)
                            }
                            return (index, await validator.validate(question, timeout: .seconds(20)))
                        }
                    }
                }
                var all: [(Int, DNSSECValidation?)] = []
                for await result in group { all.append(result) }
                return all
            }
            #expect(results.count == expectations.count * 3)
            for (index, result) in results {
                #expect(result?.reason.code == expectations[index].reason, "\(expectations[index].name): \(result?.summary ?? "nil")")
            }
        }
    }
}

extension DNSSECHostileInputTests {
    /// A signature that names an ordinary name inside a signed zone as its signer: the parent
    /// proves there is no zone cut there, so nothing can vouch for that "zone's" keys.
    @Test func aSignerThatIsNoZoneIsBogus() async throws {
        let owner = try DomainName("x.mx.example.test")
        let fakeZone = try DomainName("mx.example.test")
        let validator = try await Self.validator { records in
            // A record at x.mx.example.test "signed by" mx.example.test (the RRSIG of mx's A, renamed).
            let signature = try #require(records.first { $0.name == fakeZone && $0.typeCovered == .a })
            guard case .other(_, let bytes) = signature.data, let fields = RRSIGFields(signature) else { return }
            let rest = bytes[(18 + LDNSWire.wireName(fields.signer).count)...]
            records.append(ResourceRecord(name: owner, data: .a(IPv4Address(0xC000_0219))))
            records.append(ResourceRecord(
                name: owner, ttl: signature.ttl,
                data: .other(.rrsig, Array(bytes[..<3]) + [4] + Array(bytes[4..<18]) + LDNSWire.wireName(fakeZone) + rest)))
        }
        let result = await validator.validate(DNSQuestion(owner, .a), timeout: .seconds(5))
        #expect(result.reason == .signerNotAZone(zone: fakeZone), "\(result.summary)")
    }
}

extension DNSSECHostileInputTests {
    /// The REVOKE bit (RFC 5011 §2.1) is read from the flags, apart from the zone-key and SEP
    /// bits: the validator never tries a key that has it. (A zone cannot be re-signed here with
    /// a revoked key and a valid signature; setting the bit in a signed DNSKEY RRset breaks its
    /// signature first.)
    @Test func theRevokeBitIsReadFromTheFlags() throws {
        let key = ResourceRecord(name: .root, data: .other(.dnskey, [0x01, 0x81, 3, 13, 1, 2, 3, 4]))
        let fields = try #require(DNSKEYFields(key))
        #expect(fields.isRevoked)
        #expect(fields.isZoneKey)
        #expect(fields.isSecureEntryPoint)
        #expect(DNSKEYFields(ResourceRecord(name: .root, data: .other(.dnskey, [0x01, 0x01, 3, 13])))?.isRevoked == false)
    }
}
