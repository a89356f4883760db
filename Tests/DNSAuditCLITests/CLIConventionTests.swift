import Foundation
import TestSupport
import Testing

/// What people type: a bare command, a mistyped subcommand, -V, and domain lists as they keep
/// them (issue 14's input points). Each runs the built binary.
@Suite struct CLIConventionTests {
    @Test func bareDnsauditPrintsTheHelp() async throws {
        let result = try await CLIRunner.run([])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("USAGE:") && result.stdout.contains("SUBCOMMANDS:"), "\(result.stdout.prefix(300))")
    }

    @Test(arguments: [
        ("veryfy", "dnsaudit dkim verify"), ("sfp", "dnsaudit spf"), ("version", "dnsaudit --version"),
        ("dmrac", "dnsaudit dmarc"), ("presnd", "dnsaudit presend"),
    ])
    func aMistypedCommandIsAUsageErrorWithASuggestion(typed: String, suggestion: String) async throws {
        // --nameserver 127.0.0.1:1: were it audited after all, nothing would leave loopback.
        let result = try await CLIRunner.run([typed, "example.com", "--nameserver", "127.0.0.1:1"])
        #expect(result.status == 64, "\(typed): exit \(result.status) \(result.stderr)")
        #expect(result.stderr.contains("did you mean `\(suggestion)`"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func aSingleLabelEndingInADotIsTakenAsMeant() async throws {
        let result = try await CLIRunner.run(["example.", "--zone", KnotServer.fixtures("../../Examples/zones"), "--offline"])
        #expect(result.status != 64, "\(result.stderr)")
    }

    @Test(arguments: [["-V"], ["--version"]])
    func versionNamesDnsauditLdnsAndOpenSSL(arguments: [String]) async throws {
        let result = try await CLIRunner.run(arguments)
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(result.stdout)")
        #expect(lines.first?.hasPrefix("dnsaudit ") == true)
        #expect(lines.dropFirst().first?.hasPrefix("ldns 1.") == true, "\(lines)")
        #expect(lines.last?.hasPrefix("OpenSSL 3") == true, "\(lines)")
    }

    /// A BOM, CRLF, comments, a CSV's first column, a duplicate in another case with a trailing
    /// dot, and two bad lines that are reported (stderr, and an error record in JSON Lines) and
    /// skipped while the rest is audited.
    @Test func aDomainListIsReadAsPeopleKeepIt() async throws {
        let list = "\u{FEFF}shop.example\r\nSHOP.example.\r\n# a comment\nlegacy.example  # the old one\n"
            + "\"nothing.example\",owner,notes\n\nbad..name\nveryfy\n"
        let result = try await CLIRunner.run(
            ["--domains-file", "-", "--zone", KnotServer.fixtures("../../Examples/zones"), "--offline", "--format", "jsonl"],
            stdin: Array(list.utf8))
        let records = result.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        let domains = records.filter { $0["status"] as? String != "error" }.compactMap { $0["domain"] as? String }
        let rejected = records.filter { $0["status"] as? String == "error" }.compactMap { $0["domain"] as? String }
        #expect(domains == ["shop.example", "legacy.example", "nothing.example"], "\(result.stdout.prefix(200))")
        #expect(rejected == ["bad..name", "veryfy"], "each bad line is an error record at its place")
        #expect(result.status == 2, "a skipped line leaves the run incomplete: \(result.stderr)")
        let errors = result.stderr.split(separator: "\n")
        #expect(errors.count == 2, "\(result.stderr)")
        #expect(errors.first?.contains("line 7") == true && errors.last?.contains("line 8") == true, "\(result.stderr)")
    }
}
