@testable import DNSAudit
import DNSCore
import Testing

/// Which TLSA records a DANE sender uses for an MX host that is an alias (RFC 7672 §2.2.2), for
/// every security state of the lookup at the end of its chain. The end-to-end cases against a
/// signed tree are in MXTLSCLITests.
@Suite struct TLSABaseDomainTests {
    static let host = try! DomainName("mx.alias.test")
    static let target = try! DomainName("mx.provider.test")

    static func validation(under base: DomainName, _ reason: DNSSECReason, outcome: DNSResponse.Outcome, digest: UInt8)
        throws -> DNSSECValidation
    {
        let name = try base.prepending(DNSSECCheck.tlsaPrefix)
        let records = outcome == .answer
            ? [ResourceRecord(name: name, data: .other(.tlsa, [3, 1, 1] + Array(repeating: digest, count: 32)))] : []
        return DNSSECValidation(
            question: DNSQuestion(name, .tlsa), reason: reason, outcome: outcome, records: records,
            trust: DNSSECTrustNode("test"))
    }

    static let secure = DNSSECReason.chainOfTrust(anchor: .root)

    /// The host's own name has a secure record with digest 0xAA; the expanded name's lookup ends
    /// as given. Returns the base domain used and the first digest byte, nil when none.
    static func chosen(_ reason: DNSSECReason, _ outcome: DNSResponse.Outcome, expanded: DomainName? = target)
        throws -> (DomainName, UInt8?)?
    {
        let validations = [
            try validation(under: host, secure, outcome: .answer, digest: 0xAA),
            try validation(under: target, reason, outcome: outcome, digest: 0xBB),
        ]
        return DNSSECCheck.baseDomainTLSA(host: host, expanded: expanded, validations: validations)
            .map { ($0.base, $0.records.first?.data.first) }
    }

    @Test func recordsAtTheExpandedNameWin() throws {
        let found = try #require(try Self.chosen(Self.secure, .answer))
        #expect(found.0 == Self.target && found.1 == 0xBB)
    }

    @Test func noneAtTheExpandedNameFallsBackToTheHost() throws {
        for outcome in [DNSResponse.Outcome.nodata, .nxdomain] {
            let found = try #require(try Self.chosen(Self.secure, outcome))
            #expect(found.0 == Self.host && found.1 == 0xAA, "\(outcome)")
        }
        // Unsigned at the expanded name: its records do not count, the host's do.
        let insecure = try #require(try Self.chosen(.unsignedDelegation(zone: Self.target), .answer))
        #expect(insecure.0 == Self.host && insecure.1 == 0xAA)
    }

    @Test func aBogusOrUnansweredLookupAtTheExpandedNameLeavesNone() throws {
        let bogus = DNSSECReason.signatureInvalid(
            rrset: DNSQuestion(try Self.target.prepending(DNSSECCheck.tlsaPrefix), .tlsa), signer: Self.target)
        #expect(try Self.chosen(bogus, .answer) == nil)
        let question = DNSQuestion(try Self.target.prepending(DNSSECCheck.tlsaPrefix), .tlsa)
        #expect(try Self.chosen(.dnsFailure(DNSError(.deadlineExceeded, question: question)), .answer) == nil)
    }

    @Test func withoutASecureChainOnlyTheHostCounts() throws {
        let found = try #require(try Self.chosen(Self.secure, .answer, expanded: nil))
        #expect(found.0 == Self.host && found.1 == 0xAA)
    }
}
