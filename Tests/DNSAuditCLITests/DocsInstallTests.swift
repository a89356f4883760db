import Foundation
import TestSupport
import Testing

/// scripts/install-docs installs the completion scripts (issue 14); the man pages come from
/// swift-argument-parser's generate-manual plugin, which reads `--experimental-dump-help`.
@Suite struct DocsInstallTests {
    static let script = KnotServer.fixtures("../../scripts/install-docs")

    @Test func installsCompletionsWithFileCompletionForFilesOptions() async throws {
        let prefix = FileManager.default.temporaryDirectory.appendingPathComponent("docs-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: prefix) }
        let result = try await ProcessRunner.run(
            "/usr/bin/env", ["bash", Self.script, "--prefix", prefix, "--binary", CLIRunner.executable, "--no-man"], timeout: 120)
        #expect(result.status == 0, "\(result.stderrText)")
        let bash = try String(contentsOfFile: prefix + "/share/bash-completion/completions/dnsaudit", encoding: .utf8)
        let zsh = try String(contentsOfFile: prefix + "/share/zsh/site-functions/_dnsaudit", encoding: .utf8)
        let fish = try String(contentsOfFile: prefix + "/share/fish/vendor_completions.d/dnsaudit.fish", encoding: .utf8)
        // bash: each file option completes with `-f` (file names).
        for option in ["--zone", "--domains-file", "--key"] {
            let range = try #require(bash.range(of: "'\(option)')"), "\(option) not in the bash script")
            #expect(bash[range.upperBound...].prefix(80).contains("-f"), "\(option): \(bash[range.upperBound...].prefix(80))")
        }
        #expect(zsh.contains("--domains-file[") && zsh.contains(":file:_files"))
        #expect(zsh.contains("--key[") && zsh.contains("*--zone["))
        #expect(fish.contains("-l 'domains-file'") && fish.contains("-rF"))
        // The bash script is valid bash.
        let check = try await ProcessRunner.run("/usr/bin/env", ["bash", "-n", prefix + "/share/bash-completion/completions/dnsaudit"])
        #expect(check.status == 0, "\(check.stderrText)")
        let mode = try FileManager.default.attributesOfItem(atPath: prefix + "/share/zsh/site-functions/_dnsaudit")[.posixPermissions]
        #expect((mode as? NSNumber)?.intValue == 0o644)
    }

    @Test func theManPageGeneratorsInputDescribesEveryCommand() async throws {
        let result = try await CLIRunner.run(["--experimental-dump-help"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let command = try #require(object["command"] as? [String: Any])
        let names = (command["subcommands"] as? [[String: Any]] ?? []).compactMap { $0["commandName"] as? String }
        for name in ["audit", "query", "spf", "dmarc", "dkim", "presend", "smtp"] { #expect(names.contains(name), "\(names)") }
        #expect((command["discussion"] as? String)?.contains("EXAMPLES:") == true)
    }

    @Test func rejectsAnUnknownArgument() async throws {
        let result = try await ProcessRunner.run("/usr/bin/env", ["bash", Self.script, "--bogus"])
        #expect(result.status == 64)
        #expect(result.stderrText.contains("unknown argument --bogus"))
    }
}
