import DKIM
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 8 §4 and §5: bad input on every CLI command gets a short error that names the problem and
/// the input, exit 64 (usage) or 1, never a stack trace; private keys are never printed; a key
/// file readable by group or others draws a warning.
@Suite(.serialized) struct CLIBadInputTests {
    static let zone = KnotServer.fixtures("dns/zones/example.test.zone")
    static let message = KnotServer.fixtures("dkim/rfc6376-appendix-a/a1-unsigned-message.eml")
    static let rsaKey = KnotServer.fixtures("dkim/dkimpy/data/2048_testkey.key")
    static let publicKey = KnotServer.fixtures("dkim/rfc6376-appendix-a/appendix-c-rsa-public.pem")

    /// A scratch directory with the bad files the cases use.
    static let scratch: String = {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-badinput-\(getpid())").path
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var garbage = SeededRandom(seed: 8)
        let bytes = (0..<512).map { _ in UInt8(truncatingIfNeeded: garbage.next()) }
        _ = FileManager.default.createFile(atPath: directory + "/garbage.bin", contents: Data(bytes))
        _ = FileManager.default.createFile(atPath: directory + "/not-a-key.pem", contents: Data("hello, I am not a key\n".utf8))
        return directory
    }()

    /// A private copy of the fixture key (0644 in git), so no permission warning comes first.
    static let privateKey: String = try! TestFiles.copy(rsaKey)

    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var stdin: [UInt8] = []
        /// Words the error must contain (the problem and the input).
        var words: [String]
        var statuses: Set<Int32> = [64, 1]
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let garbage = Array((0..<300).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) })

    static var cases: [Case] {
        let z = ["--zone", zone, "--offline"]
        let rsaKey = privateKey
        let sign = ["dkim", "sign", "--selector", "s", "--domain", "example.com", "--key"]
        return [
            // A domain with spaces, on every command that takes one.
            Case(arguments: ["exa mple.com"] + z, words: ["exa mple.com", "not allowed"]),
            Case(arguments: ["audit", "exa mple.com"] + z, words: ["exa mple.com"]),
            Case(arguments: ["query", "exa mple.com", "TXT"] + z, words: ["exa mple.com"]),
            // JSON Lines is the audit's format for many domains; one-result commands refuse it.
            Case(arguments: ["query", "example.com", "TXT", "--format", "jsonl"] + z, words: ["jsonl"], statuses: [64]),
            Case(arguments: ["spf", "example.com", "--format", "jsonl"] + z, words: ["jsonl"], statuses: [64]),
            Case(arguments: ["spf", "exa mple.com"] + z, words: ["exa mple.com"]),
            Case(arguments: ["dmarc", "exa mple.com"] + z, words: ["exa mple.com"]),
            Case(arguments: ["dkim", "testkey", "--domain", "exa mple.com", "--selector", "s"] + z, words: ["exa mple.com"]),
            Case(arguments: ["dkim", "keygen", "--domain", "exa mple.com", "--selector", "s", "--out", scratch + "/never"],
                 words: ["exa mple.com"]),
            Case(arguments: ["dkim", "sign", "--selector", "s", "--domain", "exa mple.com", "--key", rsaKey],
                 stdin: Array((try? Data(contentsOf: URL(fileURLWithPath: message))) ?? Data()), words: ["exa mple.com"]),
            // Control bytes and a label over 63 in a domain.
            Case(arguments: ["spf", "a\u{01}b.example"] + z, words: ["\\u{01}"]),
            Case(arguments: ["dmarc", String(repeating: "x", count: 64) + ".example"] + z, words: ["63"]),
            // IPs out of range, bad nameservers, bad record types.
            Case(arguments: ["spf", "example.test", "--ip", "256.1.1.1"] + z, words: ["256.1.1.1"]),
            Case(arguments: ["spf", "example.test", "--ip", "1::2::3"] + z, words: ["1::2::3"]),
            Case(arguments: ["spf", "example.test", "--ip", "192.0.2.1/33"] + z, words: ["192.0.2.1/33"]),
            Case(arguments: ["query", "example.test", "--nameserver", "300.0.0.1"], words: ["300.0.0.1"]),
            Case(arguments: ["query", "example.test", "--nameserver", "127.0.0.1:70000"], words: ["127.0.0.1:70000"]),
            Case(arguments: ["query", "example.test", "NOTATYPE"] + z, words: ["NOTATYPE"]),
            Case(arguments: ["spf", "example.test", "--timeout", "-1"] + z, words: ["--timeout"]),
            // Zone files that are missing or garbage.
            Case(arguments: ["query", "example.test", "--zone", scratch + "/missing.zone", "--offline"], words: ["missing.zone"]),
            Case(arguments: ["spf", "example.test", "--zone", scratch + "/garbage.bin", "--offline"], words: ["garbage.bin"]),
            // Key files: missing, a directory, a device, not a key, a public key, binary garbage.
            Case(arguments: sign + [scratch + "/missing.key"], words: ["missing.key", "No such file"]),
            Case(arguments: sign + [scratch], words: [scratch, "directory"]),
            Case(arguments: sign + ["/dev/zero"], words: ["/dev/zero", "not a regular file"]),
            Case(arguments: sign + [scratch + "/not-a-key.pem"], words: ["not-a-key.pem", "not a private key"]),
            Case(arguments: sign + [publicKey], words: ["appendix-c-rsa-public.pem", "public key"]),
            Case(arguments: sign + [scratch + "/garbage.bin"], words: ["garbage.bin", "not a private key"]),
            Case(arguments: ["dkim", "testkey", "--domain", "example.test", "--selector", "s", "--key", publicKey] + z,
                 words: ["public key"]),
            // The wrong key type for the algorithm asked.
            Case(arguments: sign + [rsaKey, "--algorithm", "ed25519-sha256"],
                 stdin: Array((try? Data(contentsOf: URL(fileURLWithPath: message))) ?? Data()), words: ["ed25519", "rsa"]),
            // Messages: empty stdin, binary garbage.
            Case(arguments: sign + [rsaKey], stdin: [], words: ["no header"]),
            Case(arguments: sign + [rsaKey], stdin: garbage, words: ["offset"]),
            Case(arguments: ["dkim", "verify"] + z, stdin: [], words: ["no header"]),
            Case(arguments: ["dkim", "verify"] + z, stdin: garbage, words: ["offset"]),
            // Unknown commands and options.
            Case(arguments: ["dkim", "frobnicate"], words: ["frobnicate"]),
            Case(arguments: ["spf", "example.test", "--no-such-option"], words: ["--no-such-option"]),
        ]
    }

    /// What a crash or an uncaught error looks like on stderr.
    static let traceMarkers = ["Fatal error", "Stack dump", "Current stack trace", "Backtrace", "💣", "Thread 0 crashed", "#0 0x"]

    @Test(arguments: cases)
    func badInputGetsAShortErrorNamingIt(_ badCase: Case) async throws {
        let result = try await CLIRunner.run(badCase.arguments, stdin: badCase.stdin, timeout: 30)
        let output = result.stderr + result.stdout
        #expect(badCase.statuses.contains(result.status), "exit \(result.status): \(output)")
        for marker in Self.traceMarkers { #expect(!output.contains(marker), "stack trace: \(output)") }
        // The message is on one line: the first non-empty line names the problem and the input.
        let line = output.split(separator: "\n").first.map(String.init) ?? ""
        for word in badCase.words { #expect(line.contains(word), "\(line.debugDescription) lacks \(word.debugDescription)") }
        #expect(line.utf8.count < 400, "error line too long: \(line)")
        #expect(!result.stdoutBytes.starts(with: Array("DKIM-Signature".utf8)), "a message was written")
    }

    @Test func aNonUTF8MessageIsSignedByteForByteAndVerifiedWithoutCrashing() async throws {
        let body: [UInt8] = Array("From: a@example.com\r\nSubject: caf".utf8) + [0xE9, 0xFF] + Array("\r\n\r\nbody ".utf8)
            + [0xFF, 0xFE, 0x0D, 0x0A]
        let signed = try await CLIRunner.run(
            ["dkim", "sign", "--selector", "s", "--domain", "example.com", "--key", Self.rsaKey], stdin: body)
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdoutBytes.starts(with: Array("DKIM-Signature:".utf8)))
        #expect(signed.stdoutBytes.suffix(body.count) == ArraySlice(body), "the message bytes changed")
        let verified = try await CLIRunner.run(["dkim", "verify", "--zone", Self.zone, "--offline"], stdin: signed.stdoutBytes)
        // The key's name (s._domainkey.example.com) lies outside the offline zone file: not
        // checked (a temporary error, exit 2), never "no key".
        #expect(verified.status == 2, "\(verified.stdout)")
        for marker in Self.traceMarkers { #expect(!(verified.stderr + verified.stdout).contains(marker)) }
    }

    @Test func presendHelpWorks() async throws {
        let result = try await CLIRunner.run(["presend", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.lowercased().contains("usage"))
    }

    // MARK: Private keys (issue 8 §5)

    /// Lines of a PEM file's base64 body: none may appear in any output.
    static func secretLines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
            .filter { !$0.hasPrefix("-----") && $0.count >= 16 }
    }

    @Test func privateKeysAreNeverPrintedBySignTestkeyOrKeygen() async throws {
        let key = try TestFiles.copy(Self.rsaKey)
        let secrets = try Self.secretLines(key)
        #expect(secrets.count > 10)
        let message = Array(try Data(contentsOf: URL(fileURLWithPath: Self.message)))
        var outputs: [CLIRunner.Result] = []
        outputs.append(try await CLIRunner.run(["dkim", "sign", "--selector", "s", "--domain", "example.com", "--key", key], stdin: message))
        outputs.append(try await CLIRunner.run(
            ["dkim", "testkey", "--domain", "example.test", "--selector", "s", "--key", key, "--zone", Self.zone, "--offline"]))
        outputs.append(try await CLIRunner.run(
            ["dkim", "testkey", "--domain", "example.test", "--selector", "s", "--key", key, "--zone", Self.zone, "--offline",
             "--format", "json"]))
        // A key file that is almost right: a PEM with one byte changed must not be echoed in the error.
        let broken = Self.scratch + "/broken-\(UInt32.random(in: 0...UInt32.max)).pem"
        var text = try String(contentsOfFile: key, encoding: .utf8)
        text = text.replacingOccurrences(of: "MII", with: "MI!")
        try text.write(toFile: broken, atomically: true, encoding: .utf8)
        chmod(broken, 0o600)
        outputs.append(try await CLIRunner.run(["dkim", "sign", "--selector", "s", "--domain", "example.com", "--key", broken], stdin: message))
        for result in outputs {
            let all = result.stdout + result.stderr
            for secret in secrets { #expect(!all.contains(secret), "a private key line was printed: \(all.prefix(300))") }
            #expect(!all.contains("PRIVATE KEY"))
        }
        for format in ["text", "json"] {
            let out = Self.scratch + "/generated-\(format)-\(UInt32.random(in: 0...UInt32.max))"
            let result = try await CLIRunner.run(
                ["dkim", "keygen", "--domain", "example.com", "--selector", "s", "--out", out, "--format", format])
            #expect(result.status == 0, "\(result.stderr)")
            let generated = try Self.secretLines(out)
            for secret in generated { #expect(!(result.stdout + result.stderr).contains(secret)) }
            #expect(!(result.stdout + result.stderr).contains("PRIVATE KEY"))
            var info = stat()
            stat(out, &info)
            #expect(info.st_mode & 0o777 == 0o600)
        }
    }

    @Test func aKeyFileReadableByGroupOrOthersDrawsAWarning() async throws {
        let message = Array(try Data(contentsOf: URL(fileURLWithPath: Self.message)))
        for (mode, warns) in [(mode_t(0o600), false), (0o400, false), (0o640, true), (0o604, true), (0o644, true)] {
            let key = try TestFiles.copy(Self.rsaKey, mode: mode)
            let result = try await CLIRunner.run(
                ["dkim", "sign", "--selector", "s", "--domain", "example.com", "--key", key], stdin: message)
            #expect(result.status == 0)
            #expect(result.stderr.contains("warning: key file \(key) is readable") == warns, "mode \(String(mode, radix: 8)): \(result.stderr)")
            if warns { #expect(result.stderr.contains("chmod 600")) }
            #expect((DKIMPrivateKey.permissionWarning(path: key) != nil) == warns)
        }
    }
}
