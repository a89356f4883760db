import DNSAudit
import DNSCore
import Foundation
import TestSupport
import Testing

/// The provider-shaped corpus of Tests/Fixtures/realworld: about 30 customer domains published the
/// way Google Workspace, Microsoft 365, SendGrid, Mailchimp, Amazon SES, Mailgun, Postmark, Zoho and
/// others have them published (CNAMEs into provider zones, DNAME, wildcards, IDN, a TXT RRset too
/// big for UDP), with the root, TLD, provider and reverse zones around them.
///
/// Each domain is audited by the built binary three times: through Knot (`--nameserver`), from
/// the zone files (`--zone --offline`), and through Unbound recursing from the root to Knot, as a
/// deployed dnsaudit asks. Every run must finish (exit 0 or 1: no crash, no signal, nothing
/// incomplete), agree on their findings, and match what expected.json says a mail expert expects.
@Suite("Real-world corpus: provider-shaped zones through Knot and --zone")
struct RealWorldCorpusTests {
    static let directory = KnotServer.fixtures("realworld")
    static let zones = directory + "/zones"

    /// One audited domain of expected.json (README.md beside it describes each shape).
    struct Expectation: Decodable, Sendable {
        var domain: String
        /// Passed as `--selector` (selectors no audit can guess, such as Amazon SES tokens).
        var selectorArguments: [String]?
        /// Ids that must be reported.
        var present: [String]
        /// Ids that must not be reported.
        var absent: [String]
        /// Exactly the selectors whose key records the DKIM area lists; `nil`: not judged.
        var dkimSelectors: [String]?
        /// "POLICY from DOMAIN": the DMARC policy in force and the domain whose record gave it
        /// ("sp=POLICY from DOMAIN" when a subdomain inherits the sp= policy).
        var dmarc: String?
        /// The exit status; `nil`: not judged.
        var exit: Int32?
        var note: String?
    }

    struct Corpus: Decodable {
        var domains: [Expectation]
    }

    /// The parts of the JSON report (docs/report-format.md) these checks read.
    struct Report: Decodable {
        struct Area: Decodable {
            var area: String
            var summary: String
            var records: [String]
            var findings: [Finding]
        }

        struct Finding: Decodable {
            var id: String
            var severity: String
        }

        var domain: String
        var status: String
        var areas: [Area]

        /// Every finding as `id (severity)`, the form compared between the two runs.
        var findings: Set<String> { Set(areas.flatMap { $0.findings.map { "\($0.id) (\($0.severity))" } }) }
        var ids: Set<String> { Set(areas.flatMap { $0.findings.map(\.id) }) }
        func area(_ name: String) -> Area? { areas.first { $0.area == name } }

        /// The selectors of the key records the DKIM area lists (`<selector>._domainkey.<domain> TXT …`).
        var dkimSelectors: Set<String> {
            // Key records only: a dangling selector CNAME is listed too, but holds no key.
            Set((area("dkim")?.records ?? []).filter { $0.contains(" TXT ") }.compactMap { line in
                line.range(of: "._domainkey.").map { String(line[..<$0.lowerBound]) }
            })
        }
    }

    static func load() throws -> [Expectation] {
        let data = try Data(contentsOf: URL(fileURLWithPath: directory + "/expected.json"))
        return try JSONDecoder().decode(Corpus.self, from: data).domains
    }

    /// One run: its exit status, its report (when stdout held one) and what was wrong with it.
    struct RunOutcome: Sendable {
        var label: String
        var status: Int32?
        var report: Report?
        var problems: [String]
    }

    static func audit(_ expectation: Expectation, resolver: [String]) async -> RunOutcome {
        let label = resolver[0] == "--zone" ? "--zone" : "--nameserver"
        let selectors = (expectation.selectorArguments ?? []).flatMap { ["--selector", $0] }
        let result: CLIRunner.Result
        do {
            result = try await CLIRunner.run([expectation.domain] + resolver + ["--format", "json", "--no-probe"] + selectors, timeout: 60)
        } catch {
            return RunOutcome(label: label, status: nil, report: nil, problems: ["\(label): could not run \(CLIRunner.executable): \(error)"])
        }
        var problems: [String] = []
        switch result.status {
        case 0, 1: break
        case 2: problems.append("\(label): exit 2 (an area is incomplete)")
        default:
            // Foundation reports a process killed by a signal as the signal's number (SIGILL: 4),
            // where a shell says 128 + it (132).
            problems.append("\(label): exit status \(result.status): crashed or killed; \(crashSummary(result.stderr))")
        }
        guard let report = try? JSONDecoder().decode(Report.self, from: Data(result.stdoutBytes)) else {
            if result.status == 0 || result.status == 1 || result.status == 2 {
                problems.append("\(label): stdout is not a JSON report (\(result.stdout.prefix(200)))")
            }
            return RunOutcome(label: label, status: result.status, report: nil, problems: problems)
        }
        if report.domain != expectation.domain { problems.append("\(label): report is for \(report.domain)") }
        if report.status == "incomplete" {
            let incomplete = report.areas.filter { area in area.findings.contains { $0.id.hasSuffix(".incomplete") || $0.id.hasSuffix(".dns-failure") } }
            problems.append("\(label): incomplete areas \(incomplete.map(\.area))")
        }
        return RunOutcome(label: label, status: result.status, report: report, problems: problems)
    }

    /// The crash line of a Swift backtrace and the first frame in the project's sources of the
    /// crashed thread; else the first lines of standard error.
    static func crashSummary(_ stderr: String) -> String {
        let lines = stderr.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let crash = lines.first { $0.hasPrefix("*** Program crashed") } ?? ""
        if let thread = lines.firstIndex(where: { $0.hasPrefix("Thread") && $0.hasSuffix("crashed:") }),
            let frame = lines[thread...].first(where: { $0.contains("/Sources/") })
        {
            let place = frame.range(of: "/Sources/").map { "Sources/" + frame[$0.upperBound...] } ?? frame
            let function = frame.components(separatedBy: " in dnsaudit at ").first?.split(separator: " ").dropFirst(2)
                .filter { !$0.hasPrefix("[") && !$0.hasPrefix("0x") }.joined(separator: " ") ?? ""
            return "\(crash) \(function) at \(place)"
        }
        let head = lines.filter { !$0.isEmpty }.prefix(3).joined(separator: " | ")
        return head.isEmpty ? "nothing on stderr" : "stderr: \(head)"
    }

    /// The expectations that `report` does not meet.
    static func check(_ report: Report, against expectation: Expectation, label: String, status: Int32?) -> [String] {
        var problems: [String] = []
        let ids = report.ids
        let missing = expectation.present.filter { !ids.contains($0) }
        if !missing.isEmpty { problems.append("\(label): missing \(missing)") }
        let unexpected = expectation.absent.filter { ids.contains($0) }
        if !unexpected.isEmpty { problems.append("\(label): must not report \(unexpected)") }
        if let selectors = expectation.dkimSelectors, Set(selectors) != report.dkimSelectors {
            problems.append("\(label): DKIM selectors \(report.dkimSelectors.sorted()), expected \(selectors.sorted())")
        }
        if let dmarc = expectation.dmarc {
            let parts = dmarc.components(separatedBy: " from ")
            let summary = report.area("dmarc")?.summary ?? ""
            // "reject from D" is p=; a subdomain's inherited policy is written "sp=reject from D".
            let tagged = parts[0].contains("=") ? parts[0] : "p=" + parts[0]
            let prefix = "\(tagged) from _dmarc.\(parts.count > 1 ? parts[1] : "?")"
            let next = summary.dropFirst(prefix.count).first
            if !summary.hasPrefix(prefix) || !(next == nil || next == ";" || next == " " || next == ",") {
                problems.append("\(label): DMARC \"\(summary)\", expected \(prefix)")
            }
        }
        if let exit = expectation.exit, let status, status != exit {
            problems.append("\(label): exit \(status), expected \(exit)")
        }
        return problems
    }

    /// The runs of one domain (through Knot, from the zone files, and through Unbound recursing
    /// to Knot), and every way they fall short.
    static func examine(_ expectation: Expectation, port: UInt16, recursor: UInt16) async -> [String] {
        // One run after another: the suite runs in parallel on two cores, and other suites' audits
        // have wall-clock deadlines.
        let runs = [
            await audit(expectation, resolver: ["--nameserver", "127.0.0.1:\(port)"]),
            await audit(expectation, resolver: ["--zone", zones, "--offline"]),
            await audit(expectation, resolver: ["--nameserver", "127.0.0.1:\(recursor)"]),
        ]
        var problems = runs.flatMap(\.problems)
        for run in runs {
            guard let report = run.report else { continue }
            problems += check(report, against: expectation, label: run.label, status: run.status)
        }
        if let a = runs[0].report, let b = runs[1].report, a.findings != b.findings {
            let onlyNetwork = a.findings.subtracting(b.findings).sorted()
            let onlyZone = b.findings.subtracting(a.findings).sorted()
            problems.append("--nameserver and --zone differ: only --nameserver \(onlyNetwork), only --zone \(onlyZone)")
        }
        if let a = runs[0].report, let c = runs[2].report, a.findings != c.findings {
            let onlyDirect = a.findings.subtracting(c.findings).sorted()
            let onlyRecursive = c.findings.subtracting(a.findings).sorted()
            problems.append("Knot and Unbound differ: only Knot \(onlyDirect), only through Unbound \(onlyRecursive)")
        }
        return problems
    }

    @Test func everyDomainIsAuditedAsAMailExpertExpects() async throws {
        let expectations = try Self.load()
        #expect(expectations.count >= 30)
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            // A zone Knot could not load answers SERVFAIL: the failures below would then be the
            // corpus's, not the tool's.
            let resolver = server.resolver()
            var notLoaded: [String] = []
            for zone in server.zones {
                let response = try? await resolver.query(zone, .soa)
                if response?.outcome != .answer { notLoaded.append(zone.description) }
            }
            #expect(notLoaded.isEmpty, "Knot did not load \(notLoaded) (log: \(server.directory)/knot.log)")
            #expect(server.zones.contains(.root), "root.zone must serve the root zone")
            let probe = try DomainName(expectations[0].domain)
            try await UnboundServer.with(recursingTo: server, probe: probe) { unbound in

            // Two domains (two processes) at a time: the machine has two cores.
            var failures: [(String, [String])] = []
            await withTaskGroup(of: (String, [String]).self) { group in
                var pending = expectations[...]
                func startNext() {
                    guard let next = pending.popFirst() else { return }
                    group.addTask {
                        (next.domain, await Self.examine(next, port: server.port, recursor: unbound.port))
                    }
                }
                for _ in 0..<2 { startNext() }
                for await (domain, problems) in group {
                    if !problems.isEmpty { failures.append((domain, problems)) }
                    startNext()
                }
            }
            failures.sort { $0.0 < $1.0 }
            let message = failures.map { domain, problems in
                "\(domain):\n" + problems.map { "    \($0)" }.joined(separator: "\n")
            }.joined(separator: "\n")
            if !failures.isEmpty {
                Issue.record("\(failures.count) of \(expectations.count) domains fail (binary \(CLIRunner.executable)):\n\(message)")
            }
            }
        }
    }

    /// expected.json names only ids the audit knows (a misspelt absent id would always hold), and
    /// each domain once.
    @Test func expectationsNameKnownIdsAndServedDomains() throws {
        let expectations = try Self.load()
        let known = Set(FindingCatalog.all)
        for expectation in expectations {
            let unknown = (expectation.present + expectation.absent).filter { !known.contains($0) }
            #expect(unknown.isEmpty, "\(expectation.domain): unknown ids \(unknown)")
            let both = Set(expectation.present).intersection(expectation.absent)
            #expect(both.isEmpty, "\(expectation.domain): both present and absent: \(both.sorted())")
            if let dmarc = expectation.dmarc {
                #expect(dmarc.components(separatedBy: " from ").count == 2, "\(expectation.domain): dmarc is \"POLICY from DOMAIN\"")
            }
        }
        let domains = expectations.map(\.domain)
        #expect(Set(domains).count == domains.count, "a domain is listed twice")
    }
}
