import Foundation
import TestSupport
import Testing

/// The text report answers the reader's questions in order (issue 14): will my mail authenticate,
/// can others deliver to me securely, will my logo show; each area's mark agrees with its
/// findings; a domain that does not exist gets one finding. Each runs the built binary on the
/// bundled example zones.
@Suite struct ReportLayoutTests {
    static let zones = KnotServer.fixtures("../../Examples/zones")

    static func audit(_ arguments: [String], environment: [String: String] = [:]) async throws -> CLIRunner.Result {
        try await CLIRunner.run(["--zone", zones, "--offline"] + arguments, environment: environment)
    }

    static func lines(_ text: String) -> [String] { text.split(separator: "\n").map(String.init) }

    @Test func sendingComesFirstAndWhatSendsMailToSpamFailsIt() async throws {
        let result = try await Self.audit(["legacy.example"])
        #expect(result.status == 1, "\(result.stderr)")
        let text = result.stdout
        let sending = try #require(text.range(of: "Will mail from legacy.example authenticate?  FAIL"), "\(text)")
        let receiving = try #require(text.range(of: "Can others deliver to legacy.example securely?  WARN"), "\(text)")
        let brand = try #require(text.range(of: "Will receivers show legacy.example's logo?  WARN"), "\(text)")
        #expect(sending.lowerBound < receiving.lowerBound && receiving.lowerBound < brand.lowerBound)
        let sendingPart = String(text[sending.upperBound..<receiving.lowerBound])
        let receivingPart = String(text[receiving.upperBound..<brand.lowerBound])
        // ?all and t=y make mail land in spam: errors, in the sending question.
        #expect(sendingPart.contains("error   ?all asserts nothing [spf.all-neutral]"), "\(sendingPart)")
        #expect(sendingPart.contains("error   DKIM key at default: t=y"), "\(sendingPart)")
        #expect(sendingPart.contains("[dkim.key.rsa-under-2048]") && sendingPart.contains("[dmarc.policy-none]"))
        // A broken MTA-STS or TLS-RPT record: senders deliver as without one; a warning.
        #expect(receivingPart.contains("warning mta-sts.legacy.example has no address"), "\(receivingPart)")
        #expect(receivingPart.contains("warning TLS-RPT rua must be mailto: or https: URIs"), "\(receivingPart)")
        #expect(!receivingPart.contains("error "), "\(receivingPart)")
        // Readiness agrees: SPF and DKIM cannot be counted, so nothing can align.
        #expect(sendingPart.contains("✘ SPF record published"), "\(sendingPart)")
        #expect(sendingPart.contains("✘ DKIM key published — The keys found are in testing (t=y)"), "\(sendingPart)")
        #expect(sendingPart.contains("✘ The From domain can align with SPF or DKIM"))
        #expect(sendingPart.contains("✔ DMARC at p=none or stricter"))
        let last = try #require(Self.lines(text).last)
        #expect(last.hasPrefix("legacy.example: sending FAIL · receiving WARN · brand WARN — 2 errors"), "\(last)")
    }

    @Test func anAreasMarkAgreesWithItsFindings() async throws {
        let result = try await Self.audit(["shop.example", "legacy.example", "nothing.example"])
        #expect(result.status == 1)
        var checked = 0
        for line in Self.lines(result.stdout) {
            guard let mark = line.first, "✔✘!–?".contains(mark), line.dropFirst().first == " " else { continue }
            let text = line.dropFirst(2)
            if text.hasPrefix("SPF record") || text.hasPrefix("DKIM key") || text.hasPrefix("DMARC at") || text.hasPrefix("The From") {
                continue  // readiness lines
            }
            checked += 1
            switch mark {
            case "✔": #expect(!text.contains("not ") && !text.contains("but "), "\(line)")
            case "✘", "!": #expect(!text.hasSuffix(" published") && !text.contains(" pass"), "\(line)")
            case "–": #expect(text.contains("not "), "\(line)")
            default: break
            }
        }
        #expect(checked == 24, "three domains, eight areas each: \(checked)")
        #expect(result.stdout.contains("– DNSSEC   not validated"))
        #expect(result.stdout.contains("– MTA-STS  not published"))
        #expect(!result.stdout.contains("✔ DNSSEC   not validated"))
    }

    @Test func aDomainThatDoesNotExistGetsOneFindingAndNoAdviceToPublish() async throws {
        let result = try await Self.audit(["nope.shop.example"])
        #expect(result.status == 1)
        #expect(result.stdout.components(separatedBy: "[").count == 2, "one finding id: \(result.stdout)")
        #expect(result.stdout.contains("[domain.nxdomain]"))
        #expect(!result.stdout.lowercased().contains("publish"), "\(result.stdout)")
        #expect(Self.lines(result.stdout).count < 10, "\(result.stdout)")
        #expect(result.stdout.hasSuffix("nope.shop.example: FAIL — the domain does not exist\n"))
        let json = try await Self.audit(["nope.shop.example", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let areas = try #require(object["areas"] as? [[String: Any]])
        let findings = areas.flatMap { $0["findings"] as? [[String: Any]] ?? [] }
        #expect(findings.map { $0["id"] as? String } == ["domain.nxdomain"])
        #expect(areas.filter { $0["status"] as? String == "absent" }.count == 7)
    }

    @Test func quietPrintsOneSummaryLineADomainAndKeepsTheExitStatus() async throws {
        let result = try await Self.audit(["--quiet", "shop.example", "legacy.example"])
        #expect(result.status == 1)
        #expect(Self.lines(result.stdout) == [
            "shop.example: sending PASS · receiving PASS · brand PASS — 0 errors, 0 warnings, 3 info",
            "legacy.example: sending FAIL · receiving WARN · brand WARN — 2 errors, 10 warnings, 5 info",
        ])
    }

    @Test func failOnWarningCountsTheWarningsOfEveryQuestion() async throws {
        // shop.example: info only; passes at every threshold but info.
        #expect(try await Self.audit(["shop.example", "--fail-on", "warning"]).status == 0)
        #expect(try await Self.audit(["shop.example", "--fail-on", "info"]).status == 1)
    }

    @Test func colourFollowsTheColorOptionAndTERM() async throws {
        let always = try await Self.audit(["shop.example", "--color", "always"], environment: ["NO_COLOR": ""])
        #expect(always.stdout.contains("\u{1B}["))
        let never = try await Self.audit(["shop.example", "--color", "never"], environment: ["NO_COLOR": ""])
        #expect(!never.stdout.contains("\u{1B}["))
        let bad = try await Self.audit(["shop.example", "--color", "sometimes"])
        #expect(bad.status == 64 && bad.stderr.contains("--color"), "\(bad.stderr)")
    }

    /// On a terminal (a pseudo-terminal from script(1)), `--color auto` colours unless TERM=dumb or
    /// NO_COLOR is set, and the header names the zone files in two words.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func onATerminalTheHeaderIsShortAndTERMDumbMeansNoColour() async throws {
        func onTTY(_ environment: [String: String]) async throws -> String {
            let command = ([CLIRunner.executable, "--zone", Self.zones, "--offline", "shop.example"])
                .map { "'\($0)'" }.joined(separator: " ")
            var env = ProcessInfo.processInfo.environment
            env["NO_COLOR"] = nil
            for (key, value) in environment { env[key] = value }
            let output = try await ProcessRunner.run(
                "/usr/bin/script", ["-qec", command, "/dev/null"], input: Data(), environment: env, timeout: 60)
            return output.stdoutText
        }
        let colour = try await onTTY(["TERM": "xterm"])
        #expect(colour.contains("\u{1B}[32m"), "\(colour.prefix(200))")
        #expect(colour.contains("zone files (offline)") && !colour.contains("example.zone"), "\(colour.prefix(300))")
        let dumb = try await onTTY(["TERM": "dumb"])
        #expect(!dumb.contains("\u{1B}["), "\(dumb.prefix(200))")
        let noColour = try await onTTY(["TERM": "xterm", "NO_COLOR": "1"])
        #expect(!noColour.contains("\u{1B}["))
    }

    /// On a terminal the progress bar is drawn on standard error for several domains;
    /// --no-progress and --quiet leave it out.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")), arguments: [
        ([String](), true), (["--no-progress"], false), (["--quiet"], false),
    ])
    func theProgressBarFollowsItsOptions(options: [String], drawn: Bool) async throws {
        let command = ([CLIRunner.executable, "--zone", Self.zones, "--offline"] + options + ["shop.example", "legacy.example"])
            .map { "'\($0)'" }.joined(separator: " ")
        let output = try await ProcessRunner.run("/usr/bin/script", ["-qec", command, "/dev/null"], input: Data(), timeout: 60)
        #expect(output.stdoutText.contains("░") == drawn, "\(options): \(output.stdoutText.suffix(200))")
        #expect(output.stdoutText.contains("legacy.example: sending FAIL"))
    }
}
