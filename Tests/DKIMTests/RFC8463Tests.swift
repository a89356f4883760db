import DNSCore
import Foundation
import Testing

@testable import DKIM

/// RFC 8463 Appendix A: the doubly signed example, its keys, and the derived intermediate values.
@Suite struct RFC8463AppendixATests {
    struct Expected {
        var algorithm: String
        var selector: String
        var headerHashInput: String
        var digestHex: String
        var b: String
    }

    static func expectations() throws -> (bh: String, body: String, signatures: [Expected]) {
        let json = try Fixtures.json("rfc8463-appendix-a/derived-intermediate-values.json") as! [String: Any]
        let signatures = (json["signatures"] as! [[String: Any]]).map {
            Expected(algorithm: $0["a"] as! String, selector: $0["s"] as! String,
                     headerHashInput: $0["header_hash_input"] as! String,
                     digestHex: $0["sha256_of_header_hash_input_hex"] as! String, b: $0["b"] as! String)
        }
        return (json["bh"] as! String, json["canonical_body_relaxed"] as! String, signatures)
    }

    @Test func bothSignaturesVerify() async throws {
        let message = try Fixtures.message("rfc8463-appendix-a/signed-message.eml")
        let verifier = DKIMVerifier(resolver: try Fixtures.rfc8463Resolver())
        let results = await verifier.verify(message, now: Fixtures.rfc8463Time)
        #expect(results.count == 2)
        #expect(results.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
        for result in results {
            #expect(result.status == .pass, "\(result.algorithm ?? "?"): \(result.reason)")
        }
    }

    @Test func canonicalBodyAndBodyHashMatchTheDerivedValues() throws {
        let (bh, body, _) = try Self.expectations()
        let message = try Fixtures.message("rfc8463-appendix-a/signed-message.eml")
        let canonical = BodyCanonicalizer.canonicalize(message.body, .relaxed)
        #expect(canonical == body.bytes)
        #expect(Base64.encode(SHA256Stream.hash(canonical)) == bh)
    }

    @Test func headerHashInputMatchesTheDerivedValues() throws {
        let (_, _, expected) = try Self.expectations()
        let message = try Fixtures.message("rfc8463-appendix-a/signed-message.eml")
        let fields = message.fields(named: "DKIM-Signature")
        #expect(fields.count == expected.count)
        for (field, expectation) in zip(fields, expected) {
            let signature = try DKIMSignature.parse(field.valueText)
            let input = HeaderHashInput.build(
                header: message.header, signedHeaders: signature.signedHeaders, signatureField: field,
                canonicalization: signature.canonicalization.header)
            #expect(String(decoding: input, as: UTF8.self) == expectation.headerHashInput)
            let digest = SHA256Stream.hash(input).map { String(format: "%02x", $0) }.joined()
            #expect(digest == expectation.digestHex)
        }
    }

    @Test func resigningWithTheAppendixKeysReproducesBothSignatures() throws {
        let (_, _, expected) = try Self.expectations()
        let keys = try Self.keysAndUnsignedMessage()
        let headers = ["from", "to", "subject", "date", "message-id", "from", "subject", "date"]
        func configuration(_ selector: String, _ key: DKIMPrivateKey) -> DKIMSigningConfiguration {
            DKIMSigningConfiguration(
                domain: "football.example.com", selector: selector, key: key, canonicalization: .relaxed,
                headers: headers, identity: "@football.example.com", includeQueryMethod: true,
                headerSeparator: " : ")
        }
        let signer = DKIMSigner([configuration("brisbane", keys.ed25519), configuration("test", keys.rsa)])
        let output = try signer.sign(keys.message, now: Fixtures.rfc8463Time)
        #expect(output.signatureFields.count == 2)
        for (field, expectation) in zip(output.signatureFields, expected) {
            let signature = try DKIMSignature.parse(field.valueText)
            #expect(signature.algorithmName == expectation.algorithm)
            #expect(Base64.encode(signature.signature) == expectation.b)
        }
        #expect(output.warnings.map(\.id) == ["dkim.key.rsa-under-2048"])
    }

    @Test func theReSignedMessageVerifies() async throws {
        let keys = try Self.keysAndUnsignedMessage()
        let signer = DKIMSigner([
            DKIMSigningConfiguration(domain: "football.example.com", selector: "brisbane", key: keys.ed25519),
            DKIMSigningConfiguration(domain: "football.example.com", selector: "test", key: keys.rsa),
        ])
        let output = try signer.sign(keys.message, now: Fixtures.rfc8463Time)
        let reparsed = try MailMessage(parsing: output.message.bytes)
        let results = await DKIMVerifier(resolver: try Fixtures.rfc8463Resolver()).verify(reparsed, now: Fixtures.rfc8463Time)
        #expect(results.map(\.status) == [.pass, .pass], "\(results.map(\.reason))")
    }

    /// The Appendix A message with its two signatures removed.
    static func keysAndUnsignedMessage() throws -> (ed25519: DKIMPrivateKey, rsa: DKIMPrivateKey, message: MailMessage) {
        let keys = try Fixtures.rfc8463Keys()
        let signed = try Fixtures.message("rfc8463-appendix-a/signed-message.eml")
        var bytes: [UInt8] = []
        for field in signed.header where !field.hasName("DKIM-Signature") { bytes += field.raw + [13, 10] }
        bytes += [13, 10] + signed.body
        return (keys.ed25519, keys.rsa, try MailMessage(parsing: bytes))
    }
}
