import Foundation
import Testing

@testable import DKIM

@Suite struct MessageTests {
    @Test func keepsFieldsInOrderWithTheirExactText() throws {
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        #expect(message.header.map(\.name) == ["From", "To", "Subject", "Date", "Message-ID", "List-Unsubscribe",
                                               "List-Unsubscribe-Post", "X-Unsigned"])
        #expect(message.header[1].raw.text == "To: Bob <bob@example.net>,\r\n Carol <carol@example.net>")
        #expect(message.header[2].valueText == " Quarterly\r\n  report")
        #expect(message.bytes == Array(Sample.message.utf8))
        #expect(!message.hadBareLineFeeds)
    }

    @Test func lfInputBecomesCRLF() throws {
        let message = try MailMessage(parsing: Array("From: a@b.example\nSubject: x\n y\n\nbody\n".utf8))
        #expect(message.hadBareLineFeeds)
        #expect(message.bytes.text == "From: a@b.example\r\nSubject: x\r\n y\r\n\r\nbody\r\n")
    }

    @Test func theNameExcludesWhitespaceBeforeTheColon() throws {
        let message = try MailMessage(parsing: Array("Subject  : x\r\nFrom:a@b\r\n\r\n".utf8))
        #expect(message.header.map(\.name) == ["Subject", "From"])
        #expect(Canonicalization.relaxed.canonicalize(message.header[0]).text == "subject:x\r\n")
    }

    @Test(arguments: [
        (" leading: continuation\r\nFrom: a@b\r\n\r\n", MessageError.Code.malformedHeader),
        ("From: a@b\r\nno colon here\r\n\r\n", .malformedHeader),
        (": empty name\r\n\r\n", .malformedHeader),
        ("Bad Name: x\r\n\r\n", .malformedHeader),
        ("\r\nbody only", .noHeader),
        ("", .noHeader),
    ])
    func malformedHeaderBlocksAreRejected(_ text: String, _ code: MessageError.Code) {
        let error = #expect(throws: MessageError.self) { try MailMessage(parsing: Array(text.utf8)) }
        #expect(error?.code == code)
    }

    @Test func fromMustAppearExactlyOnce() throws {
        #expect(throws: MessageError.self) { try MailMessage(parsing: Array("To: a@b\r\n\r\n".utf8)).validateFromField() }
        let twice = try MailMessage(parsing: Array("From: a@b\r\nfrom: c@d\r\n\r\n".utf8))
        let error = #expect(throws: MessageError.self) { try twice.validateFromField() }
        #expect(error?.code == .multipleFrom)
        try MailMessage(parsing: Array("FROM: a@b\r\n\r\n".utf8)).validateFromField()
    }
}

@Suite struct SignerTests {
    @Test func signsTheRecommendedHeadersPresentOverSignedIncludingListUnsubscribe() throws {
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        let names = DKIMSigner.signedHeaderNames(for: message, configured: nil)
        #expect(names == ["from", "from", "subject", "subject", "date", "date", "to", "to", "message-id", "message-id",
                          "list-unsubscribe", "list-unsubscribe", "list-unsubscribe-post", "list-unsubscribe-post"])
        let output = try DKIMSigner(try Sample.configurations()).sign(message, now: Sample.time)
        let signature = try DKIMSignature.parse(output.signatureFields[0].valueText)
        #expect(signature.signedHeaders == names)
        #expect(!signature.signedHeaders.contains("x-unsigned"))
    }

    @Test func signingOnlyPrependsFieldsAndIsReproducible() throws {
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        let signer = DKIMSigner(try Sample.configurations())
        let first = try signer.sign(message, now: Sample.time)
        let second = try signer.sign(message, now: Sample.time)
        #expect(first.message.bytes == second.message.bytes)
        #expect(first.message.bytes.suffix(message.bytes.count).elementsEqual(message.bytes))
        #expect(first.message.header.count == message.header.count + 2)
        #expect(first.warnings.isEmpty)
    }

    @Test func theDefaultTagsAreRelaxedWithATimestampAndNoL() throws {
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        let output = try DKIMSigner(try Sample.configurations()).sign(message, now: Sample.time)
        for (field, algorithm) in zip(output.signatureFields, ["rsa-sha256", "ed25519-sha256"]) {
            let signature = try DKIMSignature.parse(field.valueText)
            #expect(signature.algorithmName == algorithm)
            #expect(signature.canonicalization == .relaxed)
            #expect(signature.timestamp == 1_700_000_000)
            #expect(signature.bodyLength == nil && signature.expiration == nil)
            #expect(signature.domain == "example.com")
            // No line longer than 78 characters.
            #expect(field.raw.text.components(separatedBy: "\r\n").allSatisfy { $0.count <= 78 })
        }
    }

    @Test func optionalTagsAreWrittenWhenAsked() throws {
        var configuration = try Sample.configurations()[1]
        configuration.identity = "alice@news.example.com"
        configuration.expiresAfter = .seconds(600)
        configuration.bodyLength = true
        configuration.includeTimestamp = true
        let output = try DKIMSigner([configuration]).sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        let signature = try DKIMSignature.parse(output.signatureFields[0].valueText)
        #expect(signature.identity == "alice@news.example.com")
        #expect(signature.expiration == 1_700_000_600)
        #expect(signature.bodyLength == BodyCanonicalizer.canonicalize(Array("Hello Bob,\r\n\r\nthe numbers are in.\r\n".utf8), .relaxed).count)
    }

    @Test func invalidConfigurationsSignNothing() throws {
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        var bad = try Sample.configurations()
        bad[1].identity = "alice@example.org"
        #expect(throws: DKIMSigningError.self) { try DKIMSigner(bad).sign(message, now: Sample.time) }
        var noFrom = try Sample.configurations()
        noFrom[0].headers = ["to", "subject"]
        #expect(throws: DKIMSigningError.self) { try DKIMSigner(noFrom).sign(message, now: Sample.time) }
        var badDomain = try Sample.configurations()
        badDomain[0].domain = "not a domain"
        #expect(throws: DKIMSigningError.self) { try DKIMSigner(badDomain).sign(message, now: Sample.time) }
        #expect(throws: DKIMSigningError.self) { try DKIMSigner([]).sign(message, now: Sample.time) }
        let twoFroms = try MailMessage(parsing: Array(("From: x@y.example\r\n" + Sample.message).utf8))
        #expect(throws: DKIMSigningError.self) { try DKIMSigner(try Sample.configurations()).sign(twoFroms, now: Sample.time) }
    }

    @Test func a1024BitKeySignsWithAWarning() throws {
        let key = try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/1024_testkey.key").path)
        let output = try DKIMSigner([DKIMSigningConfiguration(domain: "example.com", selector: "s", key: key)])
            .sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        #expect(output.warnings.map(\.id) == ["dkim.key.rsa-under-2048"])
    }

    @Test func anExplicitHeaderListIsUsedAsGiven() throws {
        var configuration = try Sample.configurations()[0]
        configuration.headers = ["From", "Subject", "X-Unsigned", "X-Missing"]
        let output = try DKIMSigner([configuration]).sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        #expect(try DKIMSignature.parse(output.signatureFields[0].valueText).signedHeaders == configuration.headers)
    }
}
