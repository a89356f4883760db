import DNSCore
import Foundation
import Testing

@testable import DKIM

@Suite struct VerifierTests {
    @Test func aDNSFailureIsATemperror() async throws {
        for kind in [DNSError.Kind.timeout, .serverFailure, .refused] {
            let resolver = try Fixtures.resolver(try Sample.records(), failures: ["rsa._domainkey.example.com": kind])
            let results = try await Sample.verify(try Sample.signed(), resolver: resolver)
            #expect(results.map(\.status) == [.temperror, .pass], "\(kind)")
        }
    }

    @Test func nxdomainIsAPermerrorNoKey() async throws {
        var records = try Sample.records()
        records["rsa._domainkey.example.com"] = nil
        let results = try await Sample.verify(try Sample.signed(), resolver: try Fixtures.resolver(records))
        #expect(results[0].status == .permerror)
        #expect(results[0].reason.hasPrefix("no key"))
        #expect(results[0].reason.contains("NXDOMAIN"))
    }

    @Test func aRevokedKeyIsAPermerror() async throws {
        var records = try Sample.records()
        records["rsa._domainkey.example.com"] = "v=DKIM1; k=rsa; p="
        let results = try await Sample.verify(try Sample.signed(), resolver: try Fixtures.resolver(records))
        #expect(results.map(\.status) == [.permerror, .pass])
        #expect(results[0].reason.contains("revoked"))
    }

    @Test func aResolverThatNeverAnswersHitsTheDeadline() async throws {
        struct Hanging: DNSResolver {
            var resolverDescription: String { "hangs" }
            func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
                try? await Task.sleep(for: .seconds(30))
                throw DNSError(.cancelled, question: question)
            }
        }
        let message = try MailMessage(parsing: try Sample.signed())
        let start = ContinuousClock.now
        let results = await DKIMVerifier(resolver: Hanging(), timeout: .milliseconds(200)).verify(message, now: Sample.time)
        #expect(results.map(\.status) == [.temperror, .temperror])
        #expect(ContinuousClock.now - start < .seconds(20), "a hang guard: the resolver never answers")
    }

    @Test func rsaSHA1Fails() async throws {
        let signed = try Sample.signed().replacingFirst("a=rsa-sha256", with: "a=rsa-sha1")
        let results = try await Sample.verify(signed)
        #expect(results[0].status == .fail)
        #expect(results[0].reason.contains("RFC 8301"))
    }

    @Test func anRSAKeyUnder1024BitsIsAPermerror() async throws {
        let small = try EVPKey.generate(.rsa, bits: 512)
        var records = try Sample.records()
        records["rsa._domainkey.example.com"] = "v=DKIM1; k=rsa; p=" + Base64.encode(try small.subjectPublicKeyInfo())
        let results = try await Sample.verify(try Sample.signed(), resolver: try Fixtures.resolver(records))
        #expect(results[0].status == .permerror)
        #expect(results[0].reason.contains("512 bits"))
    }

    @Test func anExpiredSignatureIsAPermerror() async throws {
        var configurations = try Sample.configurations()
        configurations[0].expiresAfter = .seconds(3600)
        let signed = try DKIMSigner(configurations).sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        let bytes = signed.message.bytes
        let before = try await Sample.verify(bytes, now: Sample.time.addingTimeInterval(3599))
        #expect(before.map(\.status) == [.pass, .pass])
        let after = try await Sample.verify(bytes, now: Sample.time.addingTimeInterval(3601))
        #expect(after.map(\.status) == [.permerror, .pass])
        #expect(after[0].reason.contains("expired"))
    }

    @Test func bodyLengthIsReportedAndAppendedContentFlagged() async throws {
        var configurations = try Sample.configurations()
        configurations[0].bodyLength = true
        let signed = try DKIMSigner(configurations).sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        let appended = signed.message.bytes + Array("Evil link\r\n".utf8)
        let results = try await Sample.verify(appended)
        #expect(results.map(\.status) == [.pass, .fail])
        let length = try #require(results[0].bodyLength)
        // The blank lines the signer dropped from the end count again once text follows them.
        #expect(length.unsigned == "\r\n\r\nEvil link\r\n".utf8.count)
        #expect(results[0].reason.contains("not covered"))
        // Without the addition, nothing is left unsigned.
        let clean = try await Sample.verify(signed.message.bytes)
        #expect(clean[0].bodyLength?.unsigned == 0)
    }

    @Test func anLLongerThanTheBodyIsAPermerror() async throws {
        var configurations = try Sample.configurations()
        configurations[0].bodyLength = true
        let signed = try DKIMSigner([configurations[0]]).sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        let cut = signed.message.bytes.replacingFirst("the numbers are in.\r\n", with: "")
        let results = try await Sample.verify(cut)
        #expect(results.map(\.status) == [.permerror])
    }

    @Test func theNumberOfSignaturesEvaluatedIsLimited() async throws {
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        let configuration = try Sample.configurations()[1]
        let count = DKIMVerifier.maximumSignatures + 3
        let signed = try DKIMSigner(Array(repeating: configuration, count: count)).sign(message, now: Sample.time)
        let results = try await Sample.verify(signed.message.bytes)
        #expect(results.count == count)
        #expect(results.prefix(DKIMVerifier.maximumSignatures).allSatisfy { $0.status == .pass })
        #expect(results.dropFirst(DKIMVerifier.maximumSignatures).allSatisfy { $0.status == .neutral })
    }

    @Test(arguments: [
        ("d=example.com", "d=example.com; d=example.com", "appears twice"),
        ("v=1", "v=2", "v= must be 1"),
        ("a=ed25519-sha256", "a=ed448-sha256", "unknown algorithm"),
        ("c=relaxed/relaxed", "c=relaxed/fancy", "unknown canonicalization"),
        ("h=from", "h=to:from", ""),  // still has from: verifies differently, checked below
        ("s=ed;", "", "required tag s="),
    ])
    func malformedSignaturesArePermerrors(_ target: String, _ replacement: String, _ reason: String) async throws {
        let signed = try DKIMSigner([try Sample.configurations()[1]])
            .sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time).message.bytes
        let tampered = signed.replacingFirst(target, with: replacement)
        #expect(tampered != signed)
        let results = try await Sample.verify(tampered)
        if reason.isEmpty {
            #expect(results.map(\.status) == [.fail])
        } else {
            #expect(results.map(\.status) == [.permerror])
            #expect(results[0].reason.contains(reason), "\(results[0].reason)")
        }
    }

    @Test func hWithoutFromIsAPermerror() throws {
        let error = #expect(throws: DKIMSignature.Problem.self) {
            try DKIMSignature.parse("v=1; a=rsa-sha256; d=example.com; s=s; h=to:subject; bh=AAAA; b=AAAA")
        }
        #expect(error?.message.contains("From") == true)
    }

    @Test func anIdentityOutsideTheDomainIsAPermerror() throws {
        let base = "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA; i="
        #expect(throws: DKIMSignature.Problem.self) { try DKIMSignature.parse(base + "joe@example.org") }
        #expect(throws: DKIMSignature.Problem.self) { try DKIMSignature.parse(base + "joe@badexample.com") }
        #expect(try DKIMSignature.parse(base + "joe@mail.example.com").identityDomain == "mail.example.com")
        #expect(try DKIMSignature.parse(base + "@EXAMPLE.com").identityDomain == "EXAMPLE.com")
    }

    @Test func strictKeysRejectSubdomainIdentities() async throws {
        var configurations = try Sample.configurations()
        configurations[1].identity = "alice@mail.example.com"
        configurations[0].identity = "alice@example.com"
        let signed = try DKIMSigner(configurations).sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        var records = try Sample.records()
        records["ed._domainkey.example.com"] = records["ed._domainkey.example.com"]! + "; t=s"
        records["rsa._domainkey.example.com"] = records["rsa._domainkey.example.com"]! + "; t=y:s"
        let results = try await Sample.verify(signed.message.bytes, resolver: try Fixtures.resolver(records))
        #expect(results.map(\.status) == [.pass, .permerror])
        #expect(results[0].testing)
        #expect(results[1].reason.contains("t=s"))
    }

    @Test func keyHashAndTypeRestrictionsAreEnforced() async throws {
        var records = try Sample.records()
        records["rsa._domainkey.example.com"] = "v=DKIM1; h=sha1; " + records["rsa._domainkey.example.com"]!.dropFirst(9)
        records["ed._domainkey.example.com"] = records["rsa._domainkey.example.com"]!.replacingOccurrences(of: "h=sha1; ", with: "")
        let results = try await Sample.verify(try Sample.signed(), resolver: try Fixtures.resolver(records))
        #expect(results.map(\.status) == [.permerror, .permerror])
        #expect(results[0].reason.contains("sha256"), "\(results[0].reason)")
        #expect(results[1].reason.contains("does not match"), "\(results[1].reason)")
    }

    @Test func aMessageWithTwoFromFieldsDoesNotPass() async throws {
        let signed = try Sample.signed()
        let doubled = signed.replacingFirst("From: Alice", with: "From: Mallory <m@evil.example>\r\nFrom: Alice")
        let results = try await Sample.verify(doubled)
        #expect(results.allSatisfy { $0.status == .permerror })
        #expect(results[0].reason.contains("2 From"))
    }

    @Test func aMessageWithoutSignaturesGivesNoResults() async throws {
        let results = try await Sample.verify(Array(Sample.message.utf8))
        #expect(results.isEmpty)
    }
}
