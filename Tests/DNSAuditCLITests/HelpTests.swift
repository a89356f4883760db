import Foundation
import TestSupport
import Testing

/// Every command's --help has an EXAMPLES section, and every line of it survives an 80-column
/// terminal (issue 14). Runs the built binary.
@Suite struct HelpTests {
    static let commands: [[String]] = [
        [], ["audit"], ["query"], ["spf"], ["dmarc"], ["dkim"], ["dkim", "sign"], ["dkim", "verify"], ["dkim", "keygen"],
        ["dkim", "testkey"], ["presend"], ["smtp"], ["smtp", "explain"], ["smtp", "probe"],
        ["headers"], ["headers", "analyze"], ["bounce"], ["bounce", "analyze"],
    ]

    @Test(arguments: commands)
    func helpHasExamplesAndFitsEightyColumns(command: [String]) async throws {
        let result = try await CLIRunner.run(command + ["--help"], environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "\(command): \(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        let wide = lines.filter { $0.count > 80 }
        #expect(wide.isEmpty, "\(command): lines over 80 columns: \(wide)")
        let start = try #require(lines.firstIndex(of: "EXAMPLES:"), "\(command): no EXAMPLES section")
        let examples = lines[(start + 1)...].prefix { !$0.isEmpty }
        #expect(examples.count >= 2, "\(command)")
        // Each example is a comment followed by a command line that runs dnsaudit.
        let commandLines = examples.filter { !$0.hasPrefix("  #") && !$0.hasPrefix("      ") }
        #expect(!commandLines.isEmpty && commandLines.allSatisfy { $0.contains("dnsaudit ") }, "\(command): \(commandLines)")
        for line in commandLines where command.count > 0 && command != ["audit"] {
            #expect(line.contains("dnsaudit " + command.joined(separator: " ")), "\(command): \(line)")
        }
    }

    /// The examples that need nothing but the bundled zones run as written.
    @Test func theOfflineExampleRuns() async throws {
        let result = try await CLIRunner.run(["--help"])
        #expect(result.stdout.contains("  dnsaudit --zone Examples/zones --offline shop.example"))
        let run = try await CLIRunner.run(["--zone", KnotServer.fixtures("../../Examples/zones"), "--offline", "shop.example"])
        #expect(run.status == 0, "\(run.stderr)")
    }
}
