import ArgumentParser
import DMARC
import DNSCore
import Foundation
import MailAuthCore

/// `dnsaudit dmarc DOMAIN`: the domain's DMARC record, how each generation finds it (the RFC 9989
/// tree walk and the RFC 7489 Public Suffix List), the Organizational Domain, the policy that
/// applies, report destinations and findings.
struct DMARCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dmarc",
        abstract: "Find and check a domain's DMARC policy as RFC 9989 and RFC 7489 receivers see it.",
        usage: "dnsaudit dmarc [<options>] <domain>",
        discussion: """
            Exit status, as for the audit: 0 when no finding is at or above --fail-on; 1 when some are; \
            2 when DNS failures left the check incomplete; 64 on a usage error.
            """ + HelpExamples.dmarc
    )

    @Argument(help: "The domain that appears in From: (the Author Domain).")
    var domain: String

    @OptionGroup var resolver: ResolverOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @OptionGroup var failOn: FailOnOptions

    @Option(
        name: .customLong("public-suffix-list"),
        help: ArgumentHelp(
            "A Public Suffix List file for the RFC 7489 view (e.g. a fresh download of https://publicsuffix.org/list/public_suffix_list.dat, or \(PublicSuffixList.systemPath)). Default: the bundled copy.",
            valueName: "file"))
    var publicSuffixListPath: String?

    func validate() throws {
        _ = try DomainInput.domainName(domain)
        if let path = publicSuffixListPath, !FileManager.default.isReadableFile(atPath: path) {
            throw ValidationError("--public-suffix-list \(path): cannot read the file")
        }
    }

    func run() async throws {
        let list = try publicSuffixListPath.map { try PublicSuffixList(contentsOfFile: $0) } ?? .bundled
        let checker = DMARCChecker(
            resolver: try resolver.makeResolver(), publicSuffixList: list,
            timeout: DMARCChecker.timeout(perQuestion: resolver.questionTimeout))
        let report = await checker.check(try DomainInput.domainName(domain))
        if format.isJSON {
            print(String(decoding: try JSONEncoder.dnsaudit().encode(Versioned(report)), as: UTF8.self))
        } else {
            print(DMARCRendering.text(report))
        }
        try failOn.exit(findings: report.findings, incomplete: !report.isComplete)
    }
}
