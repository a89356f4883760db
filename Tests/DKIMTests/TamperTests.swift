import Foundation
import Testing

@testable import DKIM

/// The verifier must never accept a tampered message.
@Suite struct TamperTests {
    static let canonicalizations: [CanonicalizationPair] = [
        .relaxed, .simple, CanonicalizationPair(header: .relaxed, body: .simple),
        CanonicalizationPair(header: .simple, body: .relaxed),
    ]

    @Test(arguments: canonicalizations)
    func theUntouchedMessagePassesBothSignatures(_ c: CanonicalizationPair) async throws {
        let results = try await Sample.verify(try Sample.signed(c))
        #expect(results.map(\.status) == [.pass, .pass], "\(results.map(\.reason))")
    }

    @Test(arguments: canonicalizations)
    func changingASignedHeaderValueFails(_ c: CanonicalizationPair) async throws {
        let tampered = try Sample.signed(c).replacingFirst("Subject: Quarterly", with: "Subject: Quarterlz")
        let results = try await Sample.verify(tampered)
        #expect(results.map(\.status) == [.fail, .fail])
        #expect(results.allSatisfy { $0.reason == "signature did not verify" })
    }

    @Test(arguments: canonicalizations)
    func changingOneBodyByteFails(_ c: CanonicalizationPair) async throws {
        let tampered = try Sample.signed(c).replacingFirst("numbers", with: "numbebs")
        let results = try await Sample.verify(tampered)
        #expect(results.map(\.status) == [.fail, .fail])
        #expect(results.allSatisfy { $0.reason == "body hash mismatch" })
    }

    @Test(arguments: canonicalizations, ["top", "bottom"])
    func addingAFromHeaderFails(_ c: CanonicalizationPair, _ position: String) async throws {
        let signed = try Sample.signed(c)
        let tampered = position == "top"
            ? Array("From: Mallory <m@evil.example>\r\n".utf8) + signed
            : signed.replacingFirst("\r\n\r\nHello", with: "\r\nFrom: Mallory <m@evil.example>\r\n\r\nHello")
        let results = try await Sample.verify(tampered)
        #expect(results.count == 2)
        #expect(results.allSatisfy { $0.status != .pass }, "\(results.map(\.reason))")
    }

    @Test(arguments: canonicalizations)
    func reorderingSignedHeadersFails(_ c: CanonicalizationPair) async throws {
        // Two To fields: swapping them changes which instance h= picks first.
        let text = Sample.message.replacingOccurrences(of: "Subject:", with: "To: dave@example.net\r\nSubject:")
        let signed = try Sample.signed(c, text: text)
        let tampered = signed.replacingFirst(
            "To: Bob <bob@example.net>,\r\n Carol <carol@example.net>\r\nTo: dave@example.net\r\n",
            with: "To: dave@example.net\r\nTo: Bob <bob@example.net>,\r\n Carol <carol@example.net>\r\n")
        #expect(tampered != signed)
        let results = try await Sample.verify(tampered)
        #expect(results.map(\.status) == [.fail, .fail], "\(results.map(\.reason))")
    }

    @Test(arguments: canonicalizations)
    func appendingToTheBodyFails(_ c: CanonicalizationPair) async throws {
        let tampered = try Sample.signed(c) + Array("Click here.\r\n".utf8)
        let results = try await Sample.verify(tampered)
        #expect(results.map(\.status) == [.fail, .fail])
    }

    @Test func changingTheSignatureItselfFails() async throws {
        let signed = try Sample.signed()
        let field = try MailMessage(parsing: signed).header[0]
        let b = try DKIMSignature.parse(field.valueText).signature
        var flipped = b
        flipped[10] ^= 1
        let tampered = signed.replacingFirst(
            String(Base64.encode(b).prefix(20)), with: String(Base64.encode(flipped).prefix(20)))
        #expect(tampered != signed)
        let results = try await Sample.verify(tampered)
        #expect(results.first?.status == .fail)
        #expect(results.last?.status == .pass)
    }

    @Test func relaxedSurvivesWhitespaceChangesAndSimpleDoesNot() async throws {
        for c in [CanonicalizationPair.relaxed, .simple] {
            let changed = try Sample.signed(c)
                .replacingFirst("Subject: Quarterly", with: "subject:   Quarterly")
                .replacingFirst("the numbers are in.", with: "the numbers  are in.   ")
            let results = try await Sample.verify(changed)
            #expect(results.map(\.status) == (c == .relaxed ? [.pass, .pass] : [.fail, .fail]), "\(c)")
        }
    }
}
