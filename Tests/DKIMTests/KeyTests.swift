import DNSCore
import Foundation
import MailAuthCore
import Testing

@testable import DKIM

@Suite struct KeyRecordTests {
    @Test func parsesEveryTagAndIgnoresUnknownOnes() throws {
        let record = try DKIMKeyRecord.parse("v=DKIM1; k=ed25519; h=sha256; s=email:*; t=y:s; n=a note; zz=unknown; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
        #expect(record.version == "DKIM1")
        #expect(record.keyAlgorithm == .ed25519)
        #expect(record.hashAlgorithms == ["sha256"])
        #expect(record.serviceTypes == ["email", "*"])
        #expect(record.isTesting && record.isStrict)
        #expect(record.notes == "a note")
        #expect(record.publicKeyData.count == 32)
        #expect(try record.publicKey().bits == 256)
    }

    @Test func defaultsWhenTagsAreAbsent() throws {
        let record = try DKIMKeyRecord.parse("p=" + Base64.encode(try Sample.rsaKey().publicKeyData()))
        #expect(record.version == nil)
        #expect(record.keyAlgorithm == .rsa)
        #expect(record.allowsEmail && record.allowsSHA256)
        #expect(!record.isTesting && !record.isStrict)
        #expect(try record.publicKey().bits == 2048)
    }

    @Test func anEmptyPMeansRevoked() throws {
        let record = try DKIMKeyRecord.parse("v=DKIM1; p=")
        #expect(record.isRevoked)
        #expect(throws: DKIMKeyError.self) { try record.publicKey() }
        #expect(DKIMKeyLint.findings(for: record).map(\.id) == ["dkim.key.revoked"])
    }

    @Test(arguments: [
        "k=rsa",  // no p=
        "v=DKIM2; p=",
        "k=rsa; v=DKIM1; p=",  // v= not first
        "p=abc; p=abc",
        "v=DKIM1; p=!!notbase64",
        "v=DKIM1;; p=",
    ])
    func malformedRecordsAreRejected(_ text: String) {
        #expect(throws: SyntaxError.self) { try DKIMKeyRecord.parse(text) }
    }

    @Test func rsaKeysLoadAsSPKIOrRawPKCS1() throws {
        for file in ["1024_testkey_wo_markers.pub.txt", "1024_testkey_wo_markers.pub.rsa.txt"] {
            let record = try DKIMKeyRecord.parse(try DkimpyDataTests.key(file))
            let key = try record.publicKey()
            #expect(key.bits == 1024)
            #expect(key.matches(try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/1024_testkey.key").path)))
            #expect(DKIMKeyLint.findings(for: record).map(\.id) == ["dkim.key.rsa-under-2048"])
        }
    }

    @Test func anEd25519KeyMustBe32Bytes() {
        #expect(throws: DKIMKeyError.self) { try DKIMPublicKey(algorithm: .ed25519, data: Array(repeating: 1, count: 31)) }
        #expect(throws: DKIMKeyError.self) { try DKIMPublicKey(algorithm: .rsa, data: Array(repeating: 1, count: 32)) }
    }
}

@Suite struct PrivateKeyTests {
    @Test func loadsPKCS1AndPKCS8RSAAndPKCS8AndSeedEd25519() throws {
        #expect(try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/2048_testkey.key").path).bits == 2048)
        #expect(try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/2048_testkey_PKCS8.key").path).bits == 2048)
        let seed = try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/ed25519test.key").path)
        #expect(seed.algorithm == .ed25519)
        // PKCS#8 PEM as openssl writes it round-trips to the same key.
        let pem = try seed.pemRepresentation()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reloaded = try DKIMPrivateKey(pem: pem)
        #expect(try reloaded.publicKeyData() == seed.publicKeyData())
        #expect(reloaded.publicKey.matches(seed))
    }

    @Test func opensslGenpkeyEd25519KeysLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dkim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("ed.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = ["genpkey", "-algorithm", "ed25519", "-out", path]
        guard (try? process.run()) != nil else { return }  // no openssl binary: nothing to compare with
        process.waitUntilExit()
        #expect(try DKIMPrivateKey(contentsOfFile: path).algorithm == .ed25519)
    }

    @Test func garbageIsRejected() {
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----") }
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey(pem: "c2hvcnQ=") }
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey(contentsOfFile: "/nonexistent/key.pem") }
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey.generate(.rsa, bits: 512) }
        #expect(throws: DKIMKeyError.self) { try DKIMPrivateKey.generate(.rsa, bits: 8192) }
    }
}

@Suite struct KeyToolTests {
    @Test(arguments: [DKIMKeyAlgorithm.ed25519, .rsa])
    func generatedKeysPublishARecordThatVerifiesTheirSignatures(_ algorithm: DKIMKeyAlgorithm) async throws {
        let generated = try DKIMGeneratedKey.generate(domain: "example.com", selector: "s2026", algorithm: algorithm)
        #expect(generated.recordName == "s2026._domainkey.example.com.")
        #expect(generated.txtStrings.allSatisfy { $0.utf8.count <= 255 })
        #expect(generated.txtStrings.joined() == generated.record.text)
        if algorithm == .rsa {
            #expect(generated.txtStrings.count == 2)
            #expect(generated.privateKey.bits == 2048)
            #expect(generated.zoneFileLine.contains("( \""))
        }
        let resolver = try Fixtures.resolver(["s2026._domainkey.example.com": generated.record.text])
        let reloaded = try DKIMPrivateKey(pem: generated.privateKeyPEM)
        let signed = try DKIMSigner([DKIMSigningConfiguration(domain: "example.com", selector: "s2026", key: reloaded)])
            .sign(try MailMessage(parsing: Array(Sample.message.utf8)), now: Sample.time)
        let results = await DKIMVerifier(resolver: resolver).verify(signed.message, now: Sample.time)
        #expect(results.map(\.status) == [.pass])
        let test = await DKIMKeyChecker(resolver: resolver).check(domain: "example.com", selector: "s2026", privateKey: reloaded)
        #expect(test.status == .ok, "\(test.message)")
    }

    @Test func thePrivateKeyFileIsWrittenWithMode0600AndNeverOverwritten() throws {
        let generated = try DKIMGeneratedKey.generate(domain: "example.com", selector: "s", algorithm: .ed25519)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dkim-\(UUID().uuidString).pem").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try generated.writePrivateKey(to: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try DKIMPrivateKey(contentsOfFile: path).publicKey.matches(generated.privateKey))
        #expect(throws: DKIMKeyError.self) { try generated.writePrivateKey(to: path) }
    }

    @Test func testkeyReportsMismatchMissingRevokedAndDNSFailure() async throws {
        let rsa = try Sample.rsaKey(), ed = try Sample.ed25519Key()
        var records = try Sample.records()
        records["revoked._domainkey.example.com"] = "v=DKIM1; p="
        let resolver = try Fixtures.resolver(records, failures: ["broken._domainkey.example.com": .serverFailure])
        func test(_ selector: String, _ key: DKIMPrivateKey?) async -> DKIMKeyCheckResult.Status {
            await DKIMKeyChecker(resolver: resolver).check(domain: "example.com", selector: selector, privateKey: key).status
        }
        #expect(await test("rsa", rsa) == .ok)
        #expect(await test("rsa", nil) == .ok)
        #expect(await test("rsa", ed) == .mismatch)
        #expect(await test("ed", rsa) == .mismatch)
        #expect(await test("nothing", rsa) == .noKey)
        #expect(await test("revoked", rsa) == .invalid)
        #expect(await test("broken", rsa) == .dnsFailure)
    }
}

/// The deadline the CLI scales from `--timeout` for key fetches.
@Suite struct KeyLookupTimeoutTests {
    @Test(arguments: [(Duration.milliseconds(300), Duration.seconds(5)), (.seconds(2), .seconds(8)), (.seconds(10), .seconds(40))])
    func isFourQuestionsTimeAndAtLeastFiveSeconds(perQuestion: Duration, expected: Duration) {
        #expect(DKIMKeyRecord.lookupTimeout(perQuestion: perQuestion) == expected)
    }
}
