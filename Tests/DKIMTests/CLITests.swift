import Foundation
import TestSupport
import Testing

@testable import DKIM

/// `dnsaudit dkim …` end to end: the built binary, keys from the interop zone file (`--zone`).
@Suite struct DKIMCLITests {
    static let zone = Fixtures.url("zones/interop.test.zone").path
    static func keyPath(_ file: String) -> String { Fixtures.url("dkimpy/data/" + file).path }

    static func signSample(_ extra: [String] = []) async throws -> CLIRunner.Result {
        try await CLIRunner.run(
            ["dkim", "sign", "--domain", "interop.test", "--selector", "rsa2048", "--key", keyPath("2048_testkey.key"),
             "--selector", "ed", "--key", keyPath("ed25519test.key"), "--time", "1700000000"] + extra,
            stdin: Array(Sample.message.utf8))
    }

    @Test func signThenVerifyPassesWithExitZeroAndJSON() async throws {
        let signed = try await Self.signSample()
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdoutBytes.suffix(Sample.message.utf8.count).elementsEqual(Sample.message.utf8))
        let verified = try await CLIRunner.run(
            ["dkim", "verify", "--zone", Self.zone, "--offline", "--format", "json", "--time", "1700000100"], stdin: signed.stdoutBytes)
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(verified.stdout.utf8)) as! [String: Any]
        let signatures = json["signatures"] as! [[String: Any]]
        #expect(signatures.map { $0["result"] as? String } == ["pass", "pass"])
        #expect(signatures.map { $0["selector"] as? String } == ["rsa2048", "ed"])
        #expect(signatures.map { $0["algorithm"] as? String } == ["rsa-sha256", "ed25519-sha256"])
        #expect(signatures.allSatisfy { $0["domain"] as? String == "interop.test" && $0["reason"] is String })
        #expect(json["pass"] as? Bool == true)
        // Signing is reproducible with --time.
        #expect(try await Self.signSample().stdoutBytes == signed.stdoutBytes)
    }

    @Test func aTamperedMessageExitsOne() async throws {
        let signed = try await Self.signSample()
        let tampered = signed.stdoutBytes.replacingFirst("numbers", with: "numbebs")
        let verified = try await CLIRunner.run(["dkim", "verify", "--zone", Self.zone, "--offline"], stdin: tampered)
        #expect(verified.status == 1)
        #expect(verified.stdout.contains("fail") && verified.stdout.contains("body hash mismatch"))
    }

    @Test func aMessageWithoutFromIsNotSigned() async throws {
        let result = try await CLIRunner.run(
            ["dkim", "sign", "--domain", "interop.test", "--selector", "ed", "--key", Self.keyPath("ed25519test.key")],
            stdin: try Fixtures.bytes("dkimpy/data/test_nofrom.message"))
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("no From"))
    }

    @Test func usageErrorsExit64() async throws {
        for arguments in [
            ["dkim", "sign", "--domain", "a.test", "--selector", "s"],
            ["dkim", "sign", "--domain", "a.test", "--selector", "s", "--key", Self.keyPath("ed25519test.key"),
             "--algorithm", "rsa-sha256"],
            ["dkim", "sign", "--domain", "a.test", "--selector", "s", "--key", "/nonexistent"],
            ["dkim", "sign", "--domain", "a.test", "--selector", "s", "--key", Self.keyPath("ed25519test.key"),
             "--canonicalization", "fancy"],
            ["dkim", "keygen", "--domain", "a.test", "--selector", "s", "--bits", "512"],
        ] {
            let result = try await CLIRunner.run(arguments, stdin: Array(Sample.message.utf8))
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
        }
    }

    @Test func keygenWritesA0600KeyAndTestkeyComparesIt() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dkim-cli-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/new.pem"
        let keygen = try await CLIRunner.run(
            ["dkim", "keygen", "--domain", "interop.test", "--selector", "new", "--algorithm", "ed25519", "--out", path,
             "--format", "json"])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let json = try JSONSerialization.jsonObject(with: Data(keygen.stdout.utf8)) as! [String: Any]
        #expect(json["name"] as? String == "new._domainkey.interop.test.")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        // Published: the dkimpy key, not the new one.
        let mismatch = try await CLIRunner.run(
            ["dkim", "testkey", "--zone", Self.zone, "--offline", "--domain", "interop.test", "--selector", "ed", "--key", path])
        #expect(mismatch.status == 1)
        #expect(mismatch.stdout.contains("mismatch"))
        let match = try await CLIRunner.run(
            ["dkim", "testkey", "--zone", Self.zone, "--offline", "--domain", "interop.test", "--selector", "ed", "--key",
             Self.keyPath("ed25519test.key")])
        #expect(match.status == 0, "\(match.stdout)")
        let missing = try await CLIRunner.run(["dkim", "testkey", "--zone", Self.zone, "--offline", "--domain", "interop.test", "--selector", "nope"])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("noKey"))
    }
}
