import ArgumentParser
import Foundation
import DKIM
import DNSLDNS
import DNSAudit

/// `dnsaudit`: the root command. `dnsaudit example.com` runs the full audit; subcommands cover
/// each engine.
public struct DNSAuditCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dnsaudit",
        abstract: "Check that a domain's mail will authenticate (SPF, DKIM, DMARC), and sign and gate messages.",
        discussion: String(HelpExamples.root.dropFirst(2)),
        version: VersionText.full,
        subcommands: [AuditCommand.self, QueryCommand.self, SPFCommand.self, DMARCCommand.self, DKIMCommand.self, PresendCommand.self, SMTPCommand.self, HeadersCommand.self, BounceCommand.self],
        defaultSubcommand: AuditCommand.self
    )

    public init() {}

    /// Parses the command line and runs the command, as `main()` does, except that a usage error
    /// raised after parsing (a broken zone file, an unreadable key: a `ValidationError` thrown by
    /// `run()`) prints the usage of the subcommand that raised it, not the root's, and exits 64.
    public static func runAsMain() async {
        let command: any ParsableCommand
        do { command = try parseAsRoot() } catch { exit(withError: error) }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var syncCommand = command
                try syncCommand.run()
            }
        } catch let error as ValidationError {
            let subcommand = type(of: command)
            let path = usageString(for: subcommand).split(separator: " ").prefix { !$0.hasPrefix("[") && !$0.hasPrefix("<") && !$0.hasPrefix("-") }
            printError("Error: \(error.message)\nUsage: \(usageString(for: subcommand))\n  See '\(path.joined(separator: " ")) --help' for more information.")
            Foundation.exit(ExitStatus.usage)
        } catch {
            exit(withError: error)
        }
    }
}

/// Exit statuses shared by every command (README, "Exit statuses").
public enum ExitStatus {
    /// Clean: nothing at or above the failure threshold.
    public static let clean: Int32 = 0
    /// Findings at or above `--fail-on`, or a verdict of fail.
    public static let findings: Int32 = 1
    /// Incomplete: DNS failures kept a check from finishing.
    public static let incomplete: Int32 = 2
    /// Usage error (EX_USAGE).
    public static let usage: Int32 = 64
}

extension ExitStatus {
    /// A report's verdict as an exit status: pass 0, fail 1, incomplete 2.
    public static func of(_ verdict: Verdict) -> Int32 {
        switch verdict {
        case .pass: clean
        case .fail: findings
        case .incomplete: incomplete
        }
    }
}

/// What `--version` and `-V` print: dnsaudit's version and the libraries that do the work.
enum VersionText {
    static let dnsaudit = "0.1.0"

    static var full: String {
        "dnsaudit \(dnsaudit)\nldns \(LDNSResolver.libraryVersion)\n\(CryptoLibrary.version)"
    }
}
