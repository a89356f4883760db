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
            Exit status (--exit-status findings, the default): 0 when no finding is at or above --fail-on; \
            1 when some are; 2 when DNS failures (SERVFAIL, timeouts) kept a check from finishing, or a line \
            of --domains-file was skipped (this wins over 1: the result is not complete); 64 on a usage error. \
            With --exit-status operational: 0 whatever was found, 2 only when no nameserver answers, 64 on \
            a usage error (for batch engines, which retry a task that exits non-zero).

            --domains-file reads one domain a line, as it goes (a list of millions is never held in \
            memory): CRLF line ends, a UTF-8 BOM, # comments and a CSV's first column are fine; a domain \
            listed twice is audited once; a bad line is reported (an error record in JSON) and skipped.

            Bulk runs: --shard I/N audits only the domains whose documented hash falls in shard I of N; \
            --resume FILE skips the domains an earlier --format jsonl run recorded in FILE; domains left \
            incomplete by DNS failures are retried once at the end, at a quarter of --concurrency \
            (--no-retry to skip), and their reports come last.
            """ + HelpExamples.audit
    )

    @Argument(help: "Domains to audit.")
    var domains: [String] = []

    @Option(
        name: .customLong("domains-file"), help: ArgumentHelp("Read domains from a file, one a line (- for stdin).", valueName: "file"),
        completion: .file())
    var domainsFile: String?

    @Option(name: .customLong("selector"), help: "A DKIM selector to check, besides those discovered (repeatable).")
    var selectors: [String] = []

    @Option(
        name: .customLong("selectors"),
        help: ArgumentHelp(
            "The DKIM selectors to try besides the providers': minimal (3, for mass scans), common (23) or a file of selectors, one a line.",
            valueName: "minimal|common|file"))
    var selectorSet: String = "common"

    @Option(help: "Output format: text, json (one report, or an array for several domains) or jsonl (one report a line).")
    var format: OutputFormat = .text

    @OptionGroup var failOnOptions: FailOnOptions
    var failOn: SeverityOption { failOnOptions.failOn }

    @Option(name: .customLong("exit-status"), help: "findings (exit 1 or 2 on findings) or operational (only usage errors and a dead resolver fail).")
    var exitStatus: ExitStatusMode = .findings

    // .unconditional: `--concurrency -1` is a value to reject with the rule, not a missing value.
    @Option(parsing: .unconditional, help: "How many domains to audit at once, 1 to 1024.")
    var concurrency: Int = 8

    @Option(parsing: .unconditional, help: "Seconds allowed for each domain's whole audit: more than 0, at most 600.")
    var deadline: Double = 30

    @Flag(help: "Write each report as soon as its audit ends, instead of in input order.")
    var unordered = false

    @Option(help: ArgumentHelp("Audit only shard I of N (I from 0), chosen by a stable hash of each domain.", valueName: "I/N"))
    var shard: String?

    @Option(help: ArgumentHelp("Skip the domains already recorded in FILE, the JSON Lines output of an earlier run.", valueName: "file"))
    var resume: String?

    @Flag(name: .customLong("no-retry"), help: "Do not audit again the domains that DNS failures left incomplete.")
    var noRetry = false

    @Flag(name: .shortAndLong, help: "Show the DNS records read and every finding's evidence.")
    var verbose: Bool = false

    @Flag(name: .shortAndLong, help: "Print only each domain's summary line (text output); the exit status says the rest.")
    var quiet: Bool = false

    @Option(name: .customLong("color"), help: "Colour the text report: auto (a terminal, unless NO_COLOR is set or TERM=dumb), always or never.")
    var colour: ColourMode = .auto

    @Flag(name: .customLong("no-progress"), help: "Do not draw the progress bar on standard error.")
    var noProgress: Bool = false

    @Option(
        name: .customLong("trust-anchor"),
        help: ArgumentHelp(
            "Validate DNSSEC (MX, MTA-STS TXT, TLSA) from the DS or DNSKEY records in this file. --dnssec alone uses \(DNSSECTrustAnchors.systemPath) (apt dns-root-data).",
            valueName: "file"))
    var trustAnchor: String?

    @OptionGroup var resolver: ResolverOptions

    @OptionGroup var probe: ProbeOptions

    @Flag(name: .customShort("V"), help: "Print the versions of dnsaudit, ldns and OpenSSL (as --version does).")
    var printVersion = false

    func validate() throws {
        if printVersion { throw CleanExit.message(VersionText.full) }
        // Bare `dnsaudit`: the help, not an error. With other arguments and no domain, run() says
        // so: an error here would hide the parser's own (`dnsaudit --bogus`: an unknown option).
        if domains.isEmpty && domainsFile == nil && CommandLine.arguments.count <= 1 {
            throw CleanExit.helpRequest(DNSAuditCommand.self)
        }
        guard (1...1024).contains(concurrency) else {
            throw ValidationError("--concurrency \(concurrency) is out of range: give 1 to 1024 domains at once")
        }
        guard deadline > 0, deadline <= 600 else {
            throw ValidationError("--deadline \(deadline.formatted()) is out of range: give more than 0 and at most 600 seconds")
        }
        for domain in domains { _ = try Self.parseDomain(domain) }
        for selector in selectors {
            guard (try? DomainName(selector)) != nil else {
                throw ValidationError("--selector \(selector.debugDescription) is not a valid DNS label sequence")
            }
        }
        if let shard { _ = try Self.parseShard(shard) }
        if resume != nil, format != .jsonl {
            throw ValidationError("--resume reads and continues JSON Lines output: use it with --format jsonl")
        }
    }

    static func parseDomain(_ text: String) throws -> DomainName {
        if let problem = DomainInput.singleLabelProblem(text) { throw ValidationError(problem) }
        return try DomainInput.domainName(text)
    }

    static func parseShard(_ text: String) throws -> Shard {
        do { return try Shard(parsing: text) } catch { throw ValidationError("--shard: \(error)") }
    }

    /// `--selectors`: a set's name, or a file of selectors (one a line, `#` comments).
    func readSelectorSet() throws -> SelectorSet {
        switch selectorSet {
        case "minimal": return .minimal
        case "common": return .common
        default:
            guard let data = FileManager.default.contents(atPath: selectorSet) else {
                throw ValidationError("--selectors \(selectorSet): not minimal or common, and not a readable file")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw ValidationError("--selectors \(selectorSet): not UTF-8 text")
            }
            var selectors: [String] = []
            for (number, entry) in DomainInput.lines(of: text) {
                guard (try? DomainName(entry)) != nil else {
                    throw ValidationError("--selectors \(selectorSet) line \(number): \(entry.debugDescription) is not a valid selector")
                }
                selectors.append(entry)
            }
            guard !selectors.isEmpty else { throw ValidationError("--selectors \(selectorSet): the file lists no selector") }
            return .list(name: selectorSet, selectors: selectors)
        }
    }

    /// The domains to audit, as a lazy sequence: the arguments (strict, checked by `validate`),
    /// then the lines of `--domains-file` read as they are needed, each domain once, only those of
    /// `--shard`, none recorded in `--resume`'s file.
    func makeInput() throws -> AuditInput {
        if domains.isEmpty && domainsFile == nil { throw ValidationError("give at least one domain, or --domains-file FILE") }
        var list: DomainList?
        if let domainsFile {
            let descriptor = domainsFile == "-" ? STDIN_FILENO : open(domainsFile, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw ValidationError("--domains-file \(domainsFile): cannot read the file (\(String(cString: strerror(errno))))")
            }
            list = DomainList(source: "--domains-file \(domainsFile)", descriptor: descriptor)
        }
        var recorded = ResumeRecord()
        if let resume { recorded = try ResumeRecord(reading: resume) }
        return AuditInput(
            arguments: try domains.map(Self.parseDomain), list: list, shard: try shard.map(Self.parseShard), recorded: recorded)
    }

    func run() async throws {
        let input = try makeInput()
        let base = try resolver.makeBaseResolver()
        let options = Auditor.Options(
            selectors: selectors, selectorSet: try readSelectorSet(), deadline: .milliseconds(Int(deadline * 1000)),
            settingNames: .options, dnssecValidator: try resolver.makeDNSSECValidator(base: base, trustAnchor: trustAnchor),
            probe: try probe.make(offline: resolver.offline, deadline: deadline))
        let auditor = Auditor(resolver: base, options: options)
        // Lines read before the first domain (bad ones) come out before its report.
        let (firstDomain, entries) = input.prefetchFirstDomain()
        // A dead resolver is not the domains' fault: say so once, before auditing any of them.
        // Asked through the audit's cache, so the answer serves the first audit too; behind zone
        // files, the network part is what must answer.
        let overlay = base as? OverlayResolver
        let network: (any DNSResolver)? = overlay == nil ? auditor.cache : overlay?.outside
        if let network, let firstDomain, let error = await network.firstNoReply(asking: DNSQuestion(firstDomain, .soa)) {
            printError(
                "dnsaudit: no nameserver answered (\(network.resolverDescription)): \(error.kind == .noNameserver ? error.detail : error.description). "
                    + "Nothing was audited; check --nameserver or /etc/resolv.conf" + (resolver.zone.isEmpty ? "." : ", or add --offline."))
            throw ExitCode(ExitStatus.incomplete)
        }
        if let resume, let truncated = input.recorded.truncatePartialLineIfStandardOutput(resume) {
            printError("dnsaudit: --resume \(resume): removed an unfinished last line (\(truncated) bytes) left by the interrupted run")
        }
        let terminal = Terminal.forStandardOutput(colour)
        var writer = AuditOutput(
            format: format, renderer: AuditTextRenderer(terminal: terminal, verbose: verbose, shortHeader: terminal.isTTY, quiet: quiet),
            singleObject: domainsFile == nil && domains.count == 1,
            progress: Progress(
                total: domainsFile == nil ? domains.count : nil,
                enabled: Terminal.standardErrorIsTTY && !noProgress && !quiet && (domainsFile != nil || domains.count > 1)))
        // Offline, every answer comes from the zone files: asking again would give the same.
        let retrying = !noRetry && !resolver.offline && (domainsFile != nil || domains.count > 1)
        var incomplete: [DomainName] = []
        var worst: Int32 = ExitStatus.clean
        let format = self.format
        let threshold = failOn.severity
        let bulk = BulkAuditor(auditor: auditor, concurrency: concurrency, order: unordered ? .completion : .input)
        // JSON Lines are encoded in each audit's task, beside the audit, so encoding runs in parallel.
        for await result in bulk.results(for: entries, transform: { AuditOutput.Item($0, format: format) }) {
            if retrying, case .report(let report, _) = result, report.isIncomplete, let name = try? DomainName(report.domain) {
                incomplete.append(name)
                continue
            }
            worst = max(worst, writer.write(result, failingAt: threshold))
        }
        if !incomplete.isEmpty {
            let second = BulkAuditor(auditor: auditor, concurrency: max(1, concurrency / 4), order: bulk.order)
            var recovered = 0
            for await result in second.results(for: incomplete.lazy.map { Result<DomainName, RejectedLine>.success($0) }, transform: { AuditOutput.Item($0, format: format) }) {
                if case .report(let report, _) = result, !report.isIncomplete { recovered += 1 }
                worst = max(worst, writer.write(result, failingAt: threshold))
            }
            printError(
                "dnsaudit: second pass: \(incomplete.count) domain\(incomplete.count == 1 ? "" : "s") left incomplete by DNS failures, "
                    + "audited again at concurrency \(second.concurrency): \(recovered) recovered")
        }
        writer.finish()
        let tally = input.tally
        if firstDomain == nil && tally.rejected == 0 && tally.alreadyRecorded == 0 && tally.outsideShard == 0 {
            throw ValidationError("no domains to audit")
        }
        // A skipped input line leaves the run incomplete, as a DNS failure would.
        if tally.rejected > 0 { worst = max(worst, ExitStatus.incomplete) }
        if exitStatus == .operational { worst = ExitStatus.clean }
        if worst != ExitStatus.clean { throw ExitCode(worst) }
    }
}

/// `--exit-status`.
enum ExitStatusMode: String, ExpressibleByArgument, CaseIterable {
    /// Exit 1 on findings at or above `--fail-on`, 2 when incomplete.
    case findings
    /// Exit non-zero only for usage errors and an unreachable resolver.
    case operational
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
    /// `nil` when the input is read as it goes (its length is not known).
    let total: Int?
    let enabled: Bool
    private var done = 0

    init(total: Int?, enabled: Bool) {
        self.total = total
        self.enabled = enabled
    }

    func advance() {
        done += 1
        guard enabled else { return }
        guard let total else {
            FileHandle.standardError.write(Data("\r\(done) domains".utf8))
            return
        }
        let width = 30
        let filled = total == 0 ? width : min(width, done * width / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) domains".utf8))
    }

    func clear() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
