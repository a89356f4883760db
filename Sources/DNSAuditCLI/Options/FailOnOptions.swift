import ArgumentParser
import MailAuthCore

/// `--fail-on`: the exit-status contract every checking command shares (`dnsaudit DOMAIN`, `spf`,
/// `dmarc`, `dkim testkey`): 2 when DNS failures left the check incomplete; else 1 when a finding
/// is at or above the threshold; else 0; 64 on a usage error.
struct FailOnOptions: ParsableArguments {
    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at or above this severity: error, warning or info.")
    var failOn: SeverityOption = .error

    /// The exit status for `findings`, given whether the check finished.
    func exitStatus(findings: [Finding], incomplete: Bool) -> Int32 {
        if incomplete { return ExitStatus.incomplete }
        return findings.contains { $0.severity >= failOn.severity } ? ExitStatus.findings : ExitStatus.clean
    }

    /// Ends the command with that status when it is not 0.
    func exit(findings: [Finding], incomplete: Bool) throws {
        let status = exitStatus(findings: findings, incomplete: incomplete)
        if status != ExitStatus.clean { throw ExitCode(status) }
    }
}
