import ArgumentParser
import DNSAudit
import DNSLDNS
import DNSCore
import Foundation
import MailAuthCore

/// `dnsaudit DOMAIN…`: the full audit. The default command.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Audit a domain's mail DNS: SPF, DKIM keys, DMARC, MX, MTA-STS, TLS-RPT, BIMI, DNSSEC.",
        discussion: """
            Exit status: 0 when no finding is at or above --fail-on; 1 when some are; 2 when DNS failures \
            (SERVFAIL, timeouts) kept a check from finishing, or a line of --domains-file was skipped (this \
            wins over 1: the result is not complete); 64 on a usage error.

            --domains-file reads one domain a line: CRLF line ends, a UTF-8 BOM, # comments and a CSV's \
            first column are fine; a domain listed twice is audited once; a bad line is reported and skipped.
            """
    )

    @Argument(help: "Domains to audit.")
    var domains: [String] = []

    @Option(name: .customLong("domains-file"), help: ArgumentHelp("Read domains from a file, one a line (- for stdin).", valueName: "file"))
    var domainsFile: String?

    @Option(name: .customLong("selector"), help: "A DKIM selector to check, besides those discovered (repeatable).")
    var selectors: [String] = []

    @Option(help: "Output format: text, json (one report, or an array for several domains) or jsonl (one report a line).")
    var format: OutputFormat = .text

    @Option(name: .customLong("fail-on"), help: "Exit 1 when a finding is at or above this severity: error, warning or info.")
    var failOn: SeverityOption = .error

    @Option(help: "How many domains to audit at once.")
    var concurrency: Int = 8

    @Option(help: "Seconds allowed for each domain's whole audit.")
    var deadline: Double = 30

    @Flag(name: .shortAndLong, help: "Show the DNS records read and every finding's evidence.")
    var verbose: Bool = false

    @Option(
        name: .customLong("trust-anchor"),
        help: ArgumentHelp(
            "Validate DNSSEC (MX, MTA-STS TXT, TLSA) from the DS or DNSKEY records in this file. --dnssec alone uses \(DNSSECTrustAnchors.systemPath) (apt dns-root-data).",
            valueName: "file"))
    var trustAnchor: String?

    @OptionGroup var resolver: ResolverOptions

    @Flag(name: .customShort("V"), help: "Print the versions of dnsaudit, ldns and OpenSSL (as --version does).")
    var printVersion = false

    func validate() throws {
        if printVersion { throw CleanExit.message(VersionText.full) }
        if domains.isEmpty && domainsFile == nil {
            // Bare `dnsaudit`: the help, not an error.
            if CommandLine.arguments.count <= 1 { throw CleanExit.helpRequest(DNSAuditCommand.self) }
            throw ValidationError("give at least one domain, or --domains-file FILE")
        }
        guard (1...1024).contains(concurrency) else { throw ValidationError("--concurrency must be between 1 and 1024") }
        guard deadline > 0, deadline <= 600 else { throw ValidationError("--deadline must be between 0 and 600 seconds") }
        for domain in domains { _ = try Self.parseDomain(domain) }
        for selector in selectors {
            guard (try? DomainName(selector)) != nil else {
                throw ValidationError("--selector \(selector.debugDescription) is not a valid DNS label sequence")
            }
        }
    }

    static func parseDomain(_ text: String) throws -> DomainName {
        if let problem = DomainInput.singleLabelProblem(text) { throw ValidationError(problem) }
        do { return try DomainName(text) } catch { throw ValidationError("\(error)") }
    }

    /// The domains to audit: the arguments (strict: a bad one is a usage error), then the lines of
    /// `--domains-file` (lenient: see ``DomainInput/lines(of:)``), each domain once. A bad line is
    /// reported on standard error and skipped; the run goes on.
    func readDomains() throws -> (names: [DomainName], skipped: Int) {
        var names = try domains.map(Self.parseDomain)
        var skipped = 0
        if let domainsFile {
            let data: Data
            if domainsFile == "-" {
                data = FileHandle.standardInput.readDataToEndOfFile()
            } else {
                guard let contents = FileManager.default.contents(atPath: domainsFile) else {
                    throw ValidationError("--domains-file \(domainsFile): cannot read the file")
                }
                data = contents
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("--domains-file \(domainsFile): not UTF-8 text")
            }
            for (number, entry) in DomainInput.lines(of: text) {
                do {
                    names.append(try Self.parseDomain(entry))
                } catch {
                    skipped += 1
                    printError("dnsaudit: --domains-file \(domainsFile) line \(number): \(error) (skipped)")
                }
            }
        }
        var seen: Set<DomainName> = []
        names = names.filter { seen.insert($0).inserted }
        if names.isEmpty { throw ValidationError("no domains to audit") }
        return (names, skipped)
    }

    func run() async throws {
        let (names, skipped) = try readDomains()
        let base = try resolver.makeBaseResolver()
        let options = Auditor.Options(
            selectors: selectors, deadline: .milliseconds(Int(deadline * 1000)), settingNames: .options,
            dnssecValidator: try resolver.makeDNSSECValidator(base: base, trustAnchor: trustAnchor))
        let auditor = Auditor(resolver: base, options: options)
        // A dead resolver is not the domains' fault: say so once, before auditing any of them.
        // Asked through the audit's cache, so the answer serves the first audit too; behind zone
        // files, the network part is what must answer.
        let overlay = base as? OverlayResolver
        let network: (any DNSResolver)? = overlay == nil ? auditor.cache : overlay?.outside
        if let network, let first = names.first,
            let error = await network.firstNoReply(asking: DNSQuestion(first, .soa))
        {
            printError(
                "dnsaudit: no nameserver answered (\(network.resolverDescription)): \(error.kind == .noNameserver ? error.detail : error.description). "
                    + "Nothing was audited; check --nameserver or /etc/resolv.conf" + (resolver.zone.isEmpty ? "." : ", or add --offline."))
            throw ExitCode(ExitStatus.incomplete)
        }
        let terminal = Terminal.forStandardOutput()
        let renderer = AuditTextRenderer(terminal: terminal, verbose: verbose)
        let progress = Progress(total: names.count, enabled: names.count > 1 && Terminal.standardErrorIsTTY)
        var worstExit: Int32 = ExitStatus.clean
        var collected: [AuditReport] = []
        var output = StandardOutput()
        let format = self.format
        // JSON Lines are encoded in each audit's task, beside the audit, so encoding runs in parallel.
        let reports = BulkAuditor(auditor: auditor, concurrency: concurrency).reports(for: names) { report in
            (report: report, line: format == .jsonl ? report.jsonLine() : nil)
        }
        var printed = 0
        for await (report, line) in reports {
            printed += 1
            progress.advance()
            worstExit = max(worstExit, ExitStatus.of(report.verdict(failingAt: failOn.severity)))
            switch format {
            case .text:
                progress.clear()
                output.write(renderer.render(report) + (printed < names.count ? "\n\n" : "\n"))
            case .jsonl:
                if let line { output.write(line + "\n") }
            case .json:
                collected.append(report)
            }
        }
        progress.clear()
        if format == .json {
            let encoder = JSONEncoder.dnsaudit()
            let data = collected.count == 1 ? try encoder.encode(collected[0]) : try encoder.encode(collected)
            output.write(String(decoding: data, as: UTF8.self) + "\n")
        }
        // A skipped input line leaves the run incomplete, as a DNS failure would.
        if skipped > 0 { worstExit = max(worstExit, ExitStatus.incomplete) }
        if worstExit != ExitStatus.clean { throw ExitCode(worstExit) }
    }
}

/// `--fail-on`.
enum SeverityOption: String, ExpressibleByArgument, CaseIterable {
    case error, warning, info
    var severity: Severity {
        switch self {
        case .error: .error
        case .warning: .warning
        case .info: .info
        }
    }
}

/// Unbuffered-enough writes to standard output (a pipe reader sees each report as it is done).
struct StandardOutput {
    mutating func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// A one-line progress bar on standard error, drawn only when it is a terminal.
final class Progress: @unchecked Sendable {
    let total: Int
    let enabled: Bool
    private var done = 0

    init(total: Int, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func advance() {
        done += 1
        guard enabled else { return }
        let width = 30
        let filled = total == 0 ? width : done * width / total
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) domains".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
