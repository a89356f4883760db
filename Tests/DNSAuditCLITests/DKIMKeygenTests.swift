import Foundation
import TestSupport
import Testing

/// `dkim keygen` as opendkim-genkey behaves (issue 14): SEL.private (0600) and SEL.txt, `--out -`
/// for stdout, no overwrite without --force, a warning under RSA-2048, no --bits for Ed25519, and
/// the private key printed nowhere but `--out -`. Each runs the built binary.
@Suite struct DKIMKeygenTests {
    static func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keygen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func mode(_ path: String) throws -> Int {
        try #require((FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? NSNumber)?.intValue)
    }

    @Test func writesThePrivateKeyAndTheZoneLineAndNeverPrintsTheKey() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await CLIRunner.run(["dkim", "keygen", "--domain", "a.test", "--selector", "s1", "--directory", directory])
        #expect(result.status == 0, "\(result.stderr)")
        let key = try String(contentsOfFile: directory + "/s1.private", encoding: .utf8)
        let record = try String(contentsOfFile: directory + "/s1.txt", encoding: .utf8)
        #expect(key.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try Self.mode(directory + "/s1.private") == 0o600)
        #expect(record.hasPrefix("s1._domainkey.a.test. IN TXT ") && record.contains("v=DKIM1; k=rsa; p="), "\(record)")
        #expect(!result.stdout.contains("PRIVATE KEY") && !result.stderr.contains("PRIVATE KEY"))
        // The record file is what the stdout shows, and the key in it is the one in the .private file.
        #expect(result.stdout.contains(record.trimmingCharacters(in: .newlines)))
        let zone = directory + "/a.test.zone"
        try "$ORIGIN a.test.\n$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n\(record)".write(
            toFile: zone, atomically: true, encoding: .utf8)
        let testkey = try await CLIRunner.run(
            ["dkim", "testkey", "--domain", "a.test", "--selector", "s1", "--key", directory + "/s1.private", "--zone", zone, "--offline"])
        #expect(testkey.status == 0, "\(testkey.stdout) \(testkey.stderr)")
    }

    @Test func refusesToOverwriteWithoutForceAndReplacesBothWithIt() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let arguments = ["dkim", "keygen", "--domain", "a.test", "--selector", "s1", "--directory", directory, "--algorithm", "ed25519"]
        #expect(try await CLIRunner.run(arguments).status == 0)
        let before = try String(contentsOfFile: directory + "/s1.private", encoding: .utf8)
        let again = try await CLIRunner.run(arguments)
        #expect(again.status == 1)
        #expect(again.stderr.contains("s1.private exists") && again.stderr.contains("--force"), "\(again.stderr)")
        #expect(try String(contentsOfFile: directory + "/s1.private", encoding: .utf8) == before, "untouched")
        // Only the .txt exists: still refused, and the .private is not created.
        try FileManager.default.removeItem(atPath: directory + "/s1.private")
        #expect(try await CLIRunner.run(arguments).status == 1)
        #expect(!FileManager.default.fileExists(atPath: directory + "/s1.private"), "nothing half-written")
        let forced = try await CLIRunner.run(arguments + ["--force"])
        #expect(forced.status == 0, "\(forced.stderr)")
        #expect(try String(contentsOfFile: directory + "/s1.private", encoding: .utf8) != before)
        #expect(try Self.mode(directory + "/s1.private") == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
    }

    @Test func outDashWritesTheKeyToStandardOutputAndNoFileNamedDash() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try await CLIRunner.run(
            ["dkim", "keygen", "--domain", "a.test", "--selector", "s2", "--directory", directory, "--out", "-"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("-----BEGIN PRIVATE KEY-----") && result.stdout.hasSuffix("-----END PRIVATE KEY-----\n"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/-"))
        #expect(!FileManager.default.fileExists(atPath: "-"))
        #expect(FileManager.default.fileExists(atPath: directory + "/s2.txt"))
        #expect(!FileManager.default.fileExists(atPath: directory + "/s2.private"))
        let json = try await CLIRunner.run(
            ["dkim", "keygen", "--domain", "a.test", "--selector", "s3", "--directory", directory, "--out", "-", "--format", "json"])
        #expect(json.status == 64)
    }

    @Test func warnsUnderRSA2048AndRejectsBitsForEd25519() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let weak = try await CLIRunner.run(
            ["dkim", "keygen", "--domain", "a.test", "--selector", "w", "--bits", "1024", "--directory", directory])
        #expect(weak.status == 0)
        #expect(weak.stderr.contains("warning: an RSA key of 1024 bits is weak"), "\(weak.stderr)")
        let strong = try await CLIRunner.run(["dkim", "keygen", "--domain", "a.test", "--selector", "x", "--directory", directory])
        #expect(!strong.stderr.contains("warning"), "\(strong.stderr)")
        let ed = try await CLIRunner.run(
            ["dkim", "keygen", "--domain", "a.test", "--selector", "e", "--algorithm", "ed25519", "--bits", "2048", "--directory", directory])
        #expect(ed.status == 64)
        #expect(ed.stderr.contains("--bits is for RSA keys"), "\(ed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/e.private"))
    }
}
