import ArgumentParser
import DKIM
import DNSAudit
import DNSCore
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// `dnsaudit presend`: the pre-send gate. Reads a message on stdin; on pass writes it, signed, to
/// stdout; otherwise writes nothing to stdout and the report to stderr.
struct PresendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "presend",
        abstract: "Sign a message, then prove it will pass SPF, DKIM and DMARC before it is sent.",
        discussion: """
            Reads the message on stdin. Checks it (one From, a Date, a Message-ID, not a free-mail \
            From domain), signs it with each --domain/--selector/--key, verifies each new signature \
            against the key published in DNS, runs SPF for each --ip with --mail-from and --helo, \
            evaluates DMARC for the From domain with alignment (RFC 9989, and RFC 7489 where it \
            differs), checks RFC 8058 one-click unsubscribe, flags Ed25519-only signing, and checks \
            the forward-confirmed reverse DNS of each --ip.

            Pass: the signed message on stdout (CRLF line endings), exit 0. Fail or incomplete: \
            nothing on stdout, the report on stderr, exit 1 (fail) or 2 (incomplete: DNS failures, \
            retry). Usage errors exit 64. In a pipeline:

              dnsaudit presend --mail-from bounces@example.com --ip 192.0.2.25 \\
                --helo mail.example.com --domain example.com --selector mail --key mail.key \\
                < message.eml | sendmail -t

            (with `set -o pipefail`, sendmail is not run on an empty message when presend fails: \
            use `signed=$(dnsaudit presend …) && printf '%s' "$signed" | sendmail -t`, or a file).

            --no-sign checks a message that is already signed. --report json writes the report as \
            JSON to stderr (always, also on pass): {"verdict", "checks": [{"id", "status", \
            "subject", "summary", "detail", "evidence", "rfc", "fix"}], "fromDomain", "mailFrom", \
            "helo", "egressIPs", "time"}.
            """ + HelpExamples.presend
    )

    @Option(help: ArgumentHelp("The envelope sender (SMTP MAIL FROM); '' or '<>' for a bounce.", valueName: "address"))
    var mailFrom: String

    @Option(help: ArgumentHelp("An IP address the mail leaves from (repeatable: every egress IPv4 and IPv6).", valueName: "ip"))
    var ip: [String] = []

    @Option(help: ArgumentHelp("The name the sending MTA gives in HELO/EHLO.", valueName: "name"))
    var helo: String?

    @OptionGroup var signing: SigningKeyOptions

    @Flag(help: "Do not sign: check the DKIM signatures the message already carries.")
    var noSign = false

    @Option(help: "Report format on stderr: text or json.")
    var report: OutputFormat.OneResult = .text

    @Option(help: ArgumentHelp("t=: the signing time, seconds since 1970 (default: now), for reproducible signatures.",
                               valueName: "unix"))
    var time: Int64?

    @Option(help: ArgumentHelp("Overall deadline for every DNS question of the check, in seconds.", valueName: "seconds"))
    var deadline: Double = 30

    @Flag(name: .shortAndLong, help: "Show every check's detail and evidence, also on pass.")
    var verbose = false

    @OptionGroup var resolver: ResolverOptions

    func validate() throws {
        guard !ip.isEmpty else { throw ValidationError("give at least one --ip: the address the mail leaves from") }
        for value in ip where IPAddress(value) == nil {
            throw ValidationError("--ip \(value.debugDescription) is not an IPv4 or IPv6 address")
        }
        guard deadline > 0, deadline <= 300 else { throw ValidationError("--deadline must be between 0 and 300 seconds") }
        if noSign {
            guard signing.isEmpty else {
                throw ValidationError("--no-sign takes no --domain, --selector, --key or --headers")
            }
            return
        }
        guard !signing.key.isEmpty else {
            throw ValidationError("give --domain, --selector and --key to sign (repeat for several keys), or --no-sign")
        }
        try signing.validateCounts()
    }

    func run() async throws {
        let configurations = noSign ? [] : try signing.configurations()
        let input = FileHandle.standardInput.readDataToEndOfFile()
        let now = time.map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? Date()
        let request = PreSendRequest(
            message: Array(input), mailFrom: mailFrom, egressIPs: ip.compactMap { IPAddress($0) }, helo: helo,
            signing: configurations, now: now)
        let validator = PreSendValidator(
            resolver: try resolver.makeResolver(), timeout: .milliseconds(Int(deadline * 1000)), settingNames: .options)
        let result: PreSendReport
        do { result = try await validator.validate(request) } catch { throw ValidationError(error.message) }

        if report.isJSON {
            FileHandle.standardError.write(try JSONEncoder.dnsaudit().encode(Versioned(result)) + Data("\n".utf8))
        } else if result.verdict != .pass || verbose || !result.checks(.warning).isEmpty {
            printError(PreSendTextRenderer(terminal: .forStandardError(), verbose: verbose).render(result))
        }
        guard result.verdict == .pass else { throw ExitCode(ExitStatus.of(result.verdict)) }
        // Only now, with every check run and passed, does anything go to stdout.
        if let message = result.message { FileHandle.standardOutput.write(Data(message)) }
    }
}
