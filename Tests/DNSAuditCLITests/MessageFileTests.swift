import Foundation
import TestSupport
import Testing

/// `dkim sign FILE` and `dkim verify FILE` read a file as well as stdin; on a terminal with
/// nothing piped they print a hint instead of waiting (issue 14). Each runs the built binary.
@Suite struct MessageFileTests {
    static let message = "From: a@keys.test\r\nTo: b@example.net\r\nSubject: hi\r\n\r\nhello\r\n"

    @Test func signsAndVerifiesAFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("msg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let keygen = try await CLIRunner.run(["dkim", "keygen", "--domain", "keys.test", "--selector", "k1", "--directory", directory])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let record = try String(contentsOfFile: directory + "/k1.txt", encoding: .utf8)
        try "$ORIGIN keys.test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 60\n\(record)".write(
            toFile: directory + "/keys.test.zone", atomically: true, encoding: .utf8)
        try Self.message.write(toFile: directory + "/in.eml", atomically: true, encoding: .utf8)
        let signed = try await CLIRunner.run(
            ["dkim", "sign", directory + "/in.eml", "--domain", "keys.test", "--selector", "k1", "--key", directory + "/k1.private"])
        #expect(signed.status == 0, "\(signed.stderr)")
        #expect(signed.stdout.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256;"))
        try signed.stdout.write(toFile: directory + "/signed.eml", atomically: true, encoding: .utf8)
        let verified = try await CLIRunner.run(["dkim", "verify", directory + "/signed.eml", "--zone", directory, "--offline"])
        #expect(verified.status == 0, "\(verified.stdout) \(verified.stderr)")
        #expect(verified.stdout.contains("signature 1: pass d=keys.test s=k1"), "\(verified.stdout)")
        // The file wins over stdin: what is piped is not read.
        let fromFile = try await CLIRunner.run(
            ["dkim", "verify", directory + "/in.eml", "--zone", directory, "--offline"], stdin: Array(signed.stdout.utf8))
        #expect(fromFile.stdout.contains("no DKIM-Signature fields"), "\(fromFile.stdout)")
        let missing = try await CLIRunner.run(["dkim", "verify", directory + "/none.eml", "--zone", directory, "--offline"])
        #expect(missing.status == 64 && missing.stderr.contains("none.eml: cannot read the message file"), "\(missing.stderr)")
    }

    /// On a terminal (script(1) gives one) with no FILE, the command explains itself and exits at
    /// once rather than waiting for input nobody knows to type.
    @Test(
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")),
        arguments: [
            ["dkim", "verify"],
            ["dkim", "sign", "--domain", "a.test", "--selector", "s", "--key", KnotServer.fixtures("dkim/dkimpy/data/2048_testkey.key")],
        ])
    func onATerminalWithNothingPipedItPrintsAHint(arguments: [String]) async throws {
        let command = ([CLIRunner.executable] + arguments).map { "'\($0)'" }.joined(separator: " ")
        // Were it to wait for input, the run would end by the timeout, without the hint.
        let output = try await ProcessRunner.run("/usr/bin/script", ["-qec", command, "/dev/null"], input: Data(), timeout: 30)
        let text = output.stdoutText
        #expect(text.contains("no message: give a FILE, or pipe one in"), "\(text)")
    }
}
