import ArgumentParser
import DKIM
import DNSLDNS
import DNSAudit

/// `dnsaudit`: the root command. `dnsaudit example.com` runs the full audit; subcommands cover
/// each engine.
public struct DNSAuditCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dnsaudit",
        abstract: "Check that a domain's mail will authenticate (SPF, DKIM, DMARC), and sign and gate messages.",
        version: VersionText.full,
        subcommands: [AuditCommand.self, QueryCommand.self, SPFCommand.self, DMARCCommand.self, DKIMCommand.self, PresendCommand.self, SMTPCommand.self, HeadersCommand.self, BounceCommand.self],
        defaultSubcommand: AuditCommand.self
    )

    public init() {}
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
