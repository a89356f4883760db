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
            Exit status: 0 when the evaluation completed, whatever the result; 2 on temperror or when DNS \
            failures left the analysis incomplete; 64 on a usage error.
            """
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

    func validate() throws {
        do { _ = try DomainName(domain) } catch { throw ValidationError("\(error)") }
        if let ip, IPAddress(ip) == nil { throw ValidationError("--ip \(ip.debugDescription) is not an IPv4 or IPv6 address") }
        if let helo, !helo.isEmpty {
            do { _ = try DomainName(dnsName: helo) } catch { throw ValidationError("--helo: \(error)") }
        }
        if ip == nil, sender != nil || helo != nil { throw ValidationError("--sender and --helo need --ip") }
    }

    func run() async throws {
        let name = try DomainName(domain)
        let dns = try resolver.makeResolver()
        var output = SPFOutput(domain: name.description)
        let analysis = await SPFChecker(resolver: dns).check(name)
        output.findings = analysis.findings
        output.incomplete = analysis.incomplete
        output.record = analysis.record
        if let ip, let address = IPAddress(ip) {
            let helo = self.helo.flatMap { $0.isEmpty ? nil : $0 } ?? name.description
            var sender = self.sender ?? "postmaster@\(name)"
            if sender.isEmpty || sender == "<>" { sender = "postmaster@\(helo)" }
            let evaluation = await SPFEvaluator(resolver: dns).evaluate(
                ip: address, domain: name.description, sender: sender, helo: helo)
            output.ip = evaluation.ip
            output.sender = sender
            output.helo = helo
            output.result = evaluation.result
            output.explanation = evaluation.explanation
            output.matchedTerm = evaluation.matchedTerm
            output.matchedIn = evaluation.matchedIn
            output.dnsLookups = evaluation.dnsLookups
            output.voidLookups = evaluation.voidLookups
            output.problem = evaluation.problem
            output.trace = evaluation.trace
        } else {
            output.dnsLookups = max(analysis.ipv4.dnsLookups, analysis.ipv6.dnsLookups)
            output.voidLookups = max(analysis.ipv4.voidLookups, analysis.ipv6.voidLookups)
            output.ipv4 = analysis.ipv4
            output.ipv6 = analysis.ipv6
            output.tree = analysis.tree
        }
        if format.isJSON {
            print(String(decoding: try JSONEncoder.dnsaudit().encode(output), as: UTF8.self))
        } else {
            print(output.text(showTrace: trace))
        }
        let incomplete = output.result.map { $0 == .temperror } ?? analysis.incomplete
        if incomplete { throw ExitCode(ExitStatus.incomplete) }
    }
}

/// What `dnsaudit spf` prints; the JSON field names are documented and stable.
struct SPFOutput: Encodable {
    var domain: String
    var record: String?
    var ip: String?
    var sender: String?
    var helo: String?
    /// check_host() result (with --ip); `null` for the static analysis.
    var result: SPFResult?
    var explanation: String?
    var matchedTerm: String?
    var matchedIn: String?
    /// With --ip: terms evaluated; without: the worst case over both families.
    var dnsLookups = 0
    var voidLookups = 0
    var ipv4: SPFLookupCount?
    var ipv6: SPFLookupCount?
    var problem: String?
    var incomplete = false
    /// With --ip: the evaluation tree.
    var trace: SPFTrace?
    /// Without --ip: the include/redirect tree.
    var tree: SPFTreeNode?
    var findings: [Finding] = []

    enum CodingKeys: String, CodingKey {
        case domain, record, ip, sender, helo, result, explanation, matchedTerm, matchedIn, dnsLookups, voidLookups
        case ipv4, ipv6, problem, incomplete, trace, tree, findings
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(domain, forKey: .domain)
        try container.encode(record, forKey: .record)
        try container.encodeIfPresent(ip, forKey: .ip)
        try container.encodeIfPresent(sender, forKey: .sender)
        try container.encodeIfPresent(helo, forKey: .helo)
        try container.encode(result, forKey: .result)
        try container.encode(explanation, forKey: .explanation)
        try container.encode(matchedTerm, forKey: .matchedTerm)
        try container.encodeIfPresent(matchedIn, forKey: .matchedIn)
        try container.encode(dnsLookups, forKey: .dnsLookups)
        try container.encode(voidLookups, forKey: .voidLookups)
        try container.encodeIfPresent(ipv4, forKey: .ipv4)
        try container.encodeIfPresent(ipv6, forKey: .ipv6)
        try container.encodeIfPresent(problem, forKey: .problem)
        try container.encode(incomplete, forKey: .incomplete)
        if let trace { try container.encode(trace, forKey: .trace) } else { try container.encode(tree, forKey: .trace) }
        try container.encode(findings, forKey: .findings)
    }

    func text(showTrace: Bool) -> String {
        var lines: [String] = []
        let limit = SPFLimits.maximumDNSMechanisms
        let voidLimit = SPFLimits.maximumVoidLookups
        if let result, let ip {
            lines.append("SPF \(domain) for \(ip) (sender \(sender ?? "-"), helo \(helo ?? "-")): \(result)")
            if let matchedTerm { lines.append("  matched:     \(matchedTerm)\(matchedIn.map { " in \($0)" } ?? "")") }
            if let explanation { lines.append("  explanation: \(explanation)") }
            if let problem { lines.append("  why:         \(problem)") }
            lines.append("  lookups:     \(dnsLookups)/\(limit) DNS-querying terms, \(voidLookups)/\(voidLimit) void")
            if showTrace, let trace { lines.append(""); lines.append(trace.rendered(indent: 1)) }
        } else {
            lines.append("SPF \(domain)")
            lines.append("  record: " + (record.map { "\"\($0)\"" } ?? "none"))
            if let ipv4, let ipv6 {
                lines.append("  IPv4 senders: \(ipv4.dnsLookups)/\(limit) DNS lookups, \(ipv4.voidLookups)/\(voidLimit) void")
                lines.append("  IPv6 senders: \(ipv6.dnsLookups)/\(limit) DNS lookups, \(ipv6.voidLookups)/\(voidLimit) void")
            }
            if incomplete { lines.append("  incomplete: DNS failures kept part of the tree from being read") }
            if showTrace, let tree { lines.append(""); lines.append(tree.rendered(indent: 1)) }
        }
        if !findings.isEmpty {
            lines.append("")
            for finding in findings {
                lines.append("  \(finding.severity.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(finding.id): \(finding.title)")
                for detailLine in finding.detail.split(separator: "\n", omittingEmptySubsequences: false) {
                    lines.append("          \(detailLine)")
                }
                if let fix = finding.fix { lines.append("          fix: \(fix) (\(finding.rfc ?? "RFC 7208"))") }
            }
        }
        let counts = Dictionary(grouping: findings, by: \.severity).mapValues(\.count)
        lines.append("")
        lines.append("\(counts[.error] ?? 0) error(s), \(counts[.warning] ?? 0) warning(s), \(counts[.info] ?? 0) note(s)")
        return lines.joined(separator: "\n")
    }
}
