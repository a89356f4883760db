import DNSCore
import Foundation
import Testing

@testable import DKIM

/// dkimpy 1.1.8's test data: each message verifies or fails as PROVENANCE.md says.
@Suite struct DkimpyDataTests {
    static let data = "dkimpy/data/"

    static func key(_ file: String) throws -> String {
        try Fixtures.text(data + file).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func verify(_ file: String, records: [String: String]) async throws -> [DKIMResult] {
        let message = try Fixtures.message(Self.data + file)
        return await DKIMVerifier(resolver: try Fixtures.resolver(records)).verify(message, now: Date(timeIntervalSince1970: 1_700_000_000))
    }

    @Test func rfc6376SignedMessageVerifiesBothSignaturesWithTheRFC8463Keys() async throws {
        let results = try await verify("rfc6376.signed.msg", records: [
            "test._domainkey.football.example.com": try Self.key("test.txt"),
            "brisbane._domainkey.football.example.com": "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
        ])
        #expect(results.map(\.status) == [.pass, .pass], "\(results.map(\.reason))")
        #expect(results.map(\.algorithm) == ["ed25519-sha256", "rsa-sha256"])
    }

    @Test func rsaSignedMessageVerifies() async throws {
        let results = try await verify("rfc6376.signed.rsa.msg", records: [
            "test._domainkey.football.example.com": try Self.key("test.txt"),
        ])
        #expect(results.map(\.status) == [.pass], "\(results.map(\.reason))")
    }

    @Test func messageWithoutTheSignedTimestampDoesNotVerify() async throws {
        let results = try await verify("rfc6376.signed.no_t.msg", records: [
            "test._domainkey.football.example.com": try Self.key("test.txt"),
        ])
        #expect(results.count == 1)
        #expect(results.allSatisfy { $0.status == .fail }, "\(results.map(\.reason))")
    }

    @Test func eximEd25519MessageVerifies() async throws {
        let results = try await verify("ed25519test2.msg", records: [
            "sed._domainkey.test.ex": try Self.key("eximtest.dns"),
        ])
        #expect(results.map(\.status) == [.pass], "\(results.map(\.reason))")
    }

    @Test func signatureWithAMalformedDomainFails() async throws {
        let results = try await verify("test.message.baddomain", records: [
            "test._domainkey.legitimate.com": try Self.key("test.txt"),
        ])
        #expect(results.count == 1)
        #expect(results[0].status == .permerror, "\(results[0].reason)")
    }

    @Test func signingAMessageWithoutFromIsRefused() throws {
        let message = try Fixtures.message(Self.data + "test_nofrom.message")
        let key = try DKIMPrivateKey(contentsOfFile: Fixtures.url(Self.data + "test.private").path)
        let signer = DKIMSigner([DKIMSigningConfiguration(domain: "example.com", selector: "test", key: key)])
        let error = #expect(throws: DKIMSigningError.self) { try signer.sign(message, now: Date()) }
        #expect(error?.message.contains("no From") == true)
    }

    struct KeyPair: Sendable, CustomTestStringConvertible {
        var privateKey: String
        var record: String
        var testDescription: String { "\(privateKey) with \(record)" }
    }

    /// Every key file signs, and every published form of its public key (SPKI, raw PKCS#1,
    /// Ed25519 raw) verifies the result.
    @Test(arguments: [
        KeyPair(privateKey: "test.private", record: "test.txt"),
        KeyPair(privateKey: "test2.private", record: "test2.txt"),
        KeyPair(privateKey: "1024_testkey.key", record: "1024_testkey_wo_markers.pub.txt"),
        KeyPair(privateKey: "1024_testkey.key", record: "1024_testkey_wo_markers.pub.rsa.txt"),
        KeyPair(privateKey: "2048_testkey.key", record: "2048_testkey_wo_markers.pub.txt"),
        KeyPair(privateKey: "2048_testkey.key", record: "2048_testkey_wo_markers.pub.rsa.txt"),
        KeyPair(privateKey: "2048_testkey_PKCS8.key", record: "2048_testkey_PKCS8.key.pub.txt"),
        KeyPair(privateKey: "ed25519test.key", record: "ed25519test.dns"),
        KeyPair(privateKey: "rfc8032_7_1.key", record: "../../rfc8463-appendix-a/dns-txt-records.txt#brisbane"),
    ])
    func keyFilesSignAndTheirRecordsVerify(_ pair: KeyPair) async throws {
        let key = try DKIMPrivateKey(contentsOfFile: Fixtures.url(Self.data + pair.privateKey).path)
        var record: String
        if pair.record.hasSuffix("#brisbane") {
            record = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        } else {
            record = try Self.key(pair.record)
        }
        for file in ["test.message", "rfc6376.w1258.msg", "message.mbox", "test_extra.message"] {
            let message = try Fixtures.message(Self.data + file)
            for canonicalization in [CanonicalizationPair.simple, .relaxed] {
                let signer = DKIMSigner([DKIMSigningConfiguration(
                    domain: "example.com", selector: "test", key: key, canonicalization: canonicalization)])
                let signed = try signer.sign(message, now: Date(timeIntervalSince1970: 1_700_000_000))
                let reparsed = try MailMessage(parsing: signed.message.bytes)
                let results = await DKIMVerifier(resolver: try Fixtures.resolver(["test._domainkey.example.com": record]))
                    .verify(reparsed, now: Date(timeIntervalSince1970: 1_700_000_100))
                // Our signature is the first field; message.mbox carries an older one whose key is absent.
                #expect(results.first?.status == .pass, "\(file) \(canonicalization): \(results.map(\.reason))")
                #expect(results.count == 1 + message.fields(named: "DKIM-Signature").count)
            }
        }
    }

    @Test(arguments: [
        ("test_bad.txt", "p= is not an RSA public key"),
        ("badk.txt", "unknown key type"),
        ("badversion.txt", "v= must be DKIM1"),
        ("test_tlsrpt.txt", "not for email"),
    ])
    func brokenKeyRecordsGivePermerror(_ file: String, _ reason: String) async throws {
        let results = try await verify("rfc6376.signed.rsa.msg", records: [
            "test._domainkey.football.example.com": try Self.key(file),
        ])
        #expect(results.map(\.status) == [.permerror])
        #expect(results.first?.reason.contains(reason) == true, "\(results.map(\.reason))")
    }
}

/// RFC 6376 Appendix A: the example as printed does not verify.
@Suite struct RFC6376AppendixATests {
    static let folder = "rfc6376-appendix-a/"

    static func record() throws -> String {
        let line = try Fixtures.text(folder + "appendix-c-dns-txt-record.txt").trimmingCharacters(in: .whitespacesAndNewlines)
        return String(line.split(separator: " ", maxSplits: 1)[1])
    }

    @Test func thePrintedMessageFailsWithABodyHashMismatch() async throws {
        let message = try Fixtures.message(Self.folder + "a2-signed-message-as-printed.eml")
        // The RFC prints the key under example.org; d= says example.com. Serve it where d= looks.
        let resolver = try Fixtures.resolver(["brisbane._domainkey.example.com": try Self.record()])
        let results = await DKIMVerifier(resolver: resolver).verify(message, now: Date())
        #expect(results.map(\.status) == [.fail])
        #expect(results.first?.reason == "body hash mismatch")
    }

    @Test func withTheKeyWhereTheRFCPrintsItThereIsNoKey() async throws {
        let message = try Fixtures.message(Self.folder + "a2-signed-message-as-printed.eml")
        let resolver = try Fixtures.resolver(["brisbane._domainkey.example.org": try Self.record()])
        let results = await DKIMVerifier(resolver: resolver).verify(message, now: Date())
        #expect(results.map(\.status) == [.permerror])
        #expect(results.first?.reason.hasPrefix("no key") == true)
    }

    @Test func theAppendixCKeySignsTheUnsignedMessageVerifiably() async throws {
        let message = try Fixtures.message(Self.folder + "a1-unsigned-message.eml")
        let key = try DKIMPrivateKey(contentsOfFile: Fixtures.url(Self.folder + "appendix-c-rsa-private.pem").path)
        let signer = DKIMSigner([DKIMSigningConfiguration(
            domain: "example.com", selector: "brisbane", key: key, canonicalization: .simple,
            identity: "joe@football.example.com")])
        let signed = try signer.sign(message, now: Date(timeIntervalSince1970: 1_057_982_437))
        let resolver = try Fixtures.resolver(["brisbane._domainkey.example.com": try Self.record()])
        let results = await DKIMVerifier(resolver: resolver).verify(try MailMessage(parsing: signed.message.bytes), now: Date())
        #expect(results.map(\.status) == [.pass], "\(results.map(\.reason))")
    }
}
