import ArgumentParser
import DNSCore
import Foundation
import MailAuthCore
import SPF

/// `dnsaudit spf DOMAIN`: the static analysis of a domain's SPF tree, or with `--ip` the
/// check_host() a receiver would run (RFC 7208).
struct SPFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spf",
        abstract: "Analyze a domain's SPF, or evaluate it for a client IP as a receiver would (RFC 7208).",
        discussion: """
            Without --ip: walks the include/redirect tree and reports worst-case DNS and void lookup counts \
            for IPv4 and IPv6 senders, and the findings. With --ip: runs check_host() and shows the result, \
            the matched term, the explanation and the counts (--trace for the lookup tree).
            Exit status, as for the audit: 0 when no finding is at or above --fail-on (the result of --ip \
            is not a finding: a fail for that IP is still 0); 1 when some are; 2 on temperror or when DNS \
            failures left the analysis incomplete; 64 on a usage error.
            """ + HelpExamples.spf
    )

    @Argument(help: "The domain to check (the MAIL FROM domain, or the HELO name).")
    var domain: String

    @Option(help: "The SMTP client's IP address; runs check_host() instead of the static analysis.")
    var ip: String?

    @Option(help: ArgumentHelp("The MAIL FROM address (default postmaster@DOMAIN); empty for the null sender.",
                               valueName: "addr"))
    var sender: String?

    @Option(help: ArgumentHelp("The HELO/EHLO name (default DOMAIN).", valueName: "name"))
    var helo: String?

    @Flag(help: "Show the evaluation tree: every term, its queries and their outcomes.")
    var trace: Bool = false

    @OptionGroup var resolver: ResolverOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @OptionGroup var failOn: FailOnOptions

    func validate() throws {
        _ = try DomainInput.domainName(domain)
        if let ip, IPAddress(ip) == nil { throw ValidationError("--ip \(ip.debugDescription) is not an IPv4 or IPv6 address") }
        if let helo, !helo.isEmpty {
            do { _ = try DomainName(dnsName: helo) } catch { throw ValidationError("--helo: \(error)") }
        }
        if ip == nil, sender != nil || helo != nil { throw ValidationError("--sender and --helo need --ip") }
    }

    func run() async throws {
        let name = try DomainInput.domainName(domain)
        let dns = try resolver.makeResolver()
        let analysis = await SPFChecker(resolver: dns).check(name)
        let report: SPFReport
        if let ip, let address = IPAddress(ip) {
            let helo = self.helo.flatMap { $0.isEmpty ? nil : $0 } ?? name.description
            let sender = SPFEvaluator.sender(forReversePath: self.sender ?? "postmaster@\(name)", helo: helo)
            let evaluation = await SPFEvaluator(resolver: dns).evaluate(
                ip: address, domain: name.description, sender: sender, helo: helo)
            report = SPFReport(analysis: analysis, evaluation: evaluation, sender: sender, helo: helo)
        } else {
            report = SPFReport(analysis: analysis)
        }
        if format.isJSON {
            print(String(decoding: try JSONEncoder.dnsaudit().encode(Versioned(report)), as: UTF8.self))
        } else {
            print(report.text(showTrace: trace))
        }
        try failOn.exit(findings: report.findings, incomplete: report.isIncomplete)
    }
}

