import ArgumentParser
import DNSCore
import Foundation
import SMTP
import SMTPProbing
import TLS

/// `dnsaudit smtp …`: why a script cannot send. `explain` reads a server reply or a client
/// library's error; `probe` talks to the server.
struct SMTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp",
        abstract: "Explain why a script cannot send mail.",
        discussion: String(HelpExamples.smtp.dropFirst(2)),
        subcommands: [SMTPProbeCommand.self, SMTPExplainCommand.self]
    )
}

/// `dnsaudit smtp explain "REPLY"` / `… explain -`: the reply table's explanation of a pasted reply,
/// transcript, Python smtplib or nodemailer error.
struct SMTPExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain an SMTP reply, a transcript, or a Python/Node.js mail error: the cause, the fix, the check.",
        discussion: """
            Give the reply as arguments (quote it), or - to read it from stdin: a server reply \
            ("535-5.7.8 Username and Password not accepted …"), an SMTP transcript (the failing \
            4xx/5xx reply is explained), a Python smtplib/ssl traceback or a nodemailer error. Gmail, \
            Microsoft 365 and Yahoo replies get the provider's meaning; others the RFC 3463 one.

            Exit status: 0 when the input was read, whatever the explanation (also "unknown"); 64 on \
            a usage error, such as empty input.
            """ + HelpExamples.smtpExplain
    )

    @Argument(help: ArgumentHelp("The reply text, or - to read stdin.", valueName: "reply"))
    var reply: [String] = []

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    func validate() throws {
        if reply.isEmpty { throw ValidationError("Give the reply text to explain, or - to read it from stdin.") }
    }

    func run() async throws {
        let input = reply == ["-"] ? Self.readStandardInput() : reply.joined(separator: " ")
        if input.allSatisfy(\.isWhitespace) {
            printError("dnsaudit smtp explain: the input is empty: paste the server's reply, the exception, or the transcript.")
            throw ExitCode(ExitStatus.usage)
        }
        let explanation = ReplyClassifier().explain(input)
        if format.isJSON {
            print(String(decoding: try JSONEncoder.dnsaudit().encode(Versioned(explanation)), as: UTF8.self))
        } else {
            print(SMTPExplainRendering.text(explanation))
        }
    }

    /// Standard input, of which the classifier reads at most `ReplyClassifier.maxInputBytes`: the
    /// rest is read and dropped (so the writer is not cut off), up to `maxDrainedBytes`.
    static func readStandardInput() -> String {
        let maxDrainedBytes = 64 << 20
        var kept = Data()
        var total = 0
        while total < maxDrainedBytes {
            let chunk = FileHandle.standardInput.availableData
            if chunk.isEmpty { break }
            total += chunk.count
            if kept.count <= ReplyClassifier.maxInputBytes { kept.append(chunk) }
        }
        return String(decoding: kept, as: UTF8.self)
    }
}

/// `dnsaudit smtp probe HOST`: what each port of a mail server speaks, its TLS and certificate,
/// what it offers before and after TLS, and (opt-in) whether a login works.
struct SMTPProbeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "probe",
        abstract: "Probe an SMTP server: ports, implicit TLS vs STARTTLS, TLS and certificate, AUTH, extensions.",
        discussion: """
            Connects to each port, reads the greeting, sends EHLO before and after TLS, checks the \
            certificate against the system trust store (SSL_CERT_FILE works) and the host name, \
            and QUITs. It never sends a message. --expect reproduces a client's setting (implicit: \
            Python SMTP_SSL, nodemailer secure: true; starttls: SMTP + starttls(), secure: false) \
            and names the mismatch.

            The AUTH test is opt-in: --user ADDR with --password-stdin or --password-env VAR (never \
            on the command line). One attempt, only after TLS verified; the secret is redacted in \
            every output.

            Exit status: 0 no errors found; 1 errors found; 2 the host name could not be resolved \
            (a DNS failure); 64 usage error.
            """ + HelpExamples.smtpProbe
    )

    @Argument(help: ArgumentHelp("The server to probe (smtp.gmail.com); omit with --mx.", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("The port(s): 25, 465, 587, any port number, a comma list, or all (25,465,587). Default: all; with --mx, 25.", valueName: "port"))
    var port: String?

    @Option(help: ArgumentHelp("How the client starts TLS: starttls or implicit. Default: each port's convention (465 implicit, others STARTTLS).", valueName: "mode"))
    var expect: TLSStart?

    @Option(help: ArgumentHelp("A PEM file of CA certificates to trust besides the system's.", valueName: "file"))
    var caFile: String?

    @Option(help: ArgumentHelp("Probe the MX hosts of this domain instead of HOST.", valueName: "domain"))
    var mx: String?

    @Option(help: ArgumentHelp("Connect to IP:PORT when asked for HOST:PORT, without DNS (repeatable; for tests).", valueName: "host:port=ip:port"))
    var connectTo: [String] = []

    @Option(help: ArgumentHelp("The login for the opt-in AUTH test (needs --password-stdin or --password-env).", valueName: "addr"))
    var user: String?

    @Flag(help: "Read the password (or the XOAUTH2 token) from the first line of standard input.")
    var passwordStdin: Bool = false

    @Option(help: ArgumentHelp("Read the password (or the XOAUTH2 token) from this environment variable.", valueName: "var"))
    var passwordEnv: String?

    @Option(help: ArgumentHelp("The SASL mechanism: PLAIN, LOGIN or XOAUTH2. Default: PLAIN, else LOGIN.", valueName: "mechanism"))
    var authMechanism: SASLMechanism?

    @Option(help: ArgumentHelp("Seconds each step may take (connect, greeting, each reply, the TLS handshake).", valueName: "seconds"))
    var stepTimeout: Double = 10

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @OptionGroup var resolver: ResolverOptions

    func validate() throws {
        if host == nil, mx == nil { throw ValidationError("Give the host to probe, or --mx DOMAIN.") }
        if host != nil, mx != nil { throw ValidationError("Give either a host or --mx DOMAIN, not both.") }
        _ = try ports()
        _ = try overrides()
        guard stepTimeout > 0, stepTimeout <= 300 else { throw ValidationError("--step-timeout must be between 0 and 300 seconds") }
        if passwordStdin, passwordEnv != nil { throw ValidationError("Give --password-stdin or --password-env, not both.") }
        if user != nil, !passwordStdin, passwordEnv == nil {
            throw ValidationError("--user needs --password-stdin or --password-env VAR (a password is never taken on the command line).")
        }
        if user == nil, passwordStdin || passwordEnv != nil || authMechanism != nil {
            throw ValidationError("--password-stdin, --password-env and --auth-mechanism need --user ADDR.")
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw ValidationError("--ca-file \(caFile): no such readable file")
        }
    }

    func ports() throws -> [UInt16] {
        guard let port else { return mx == nil ? [25, 465, 587] : [25] }
        if port.lowercased() == "all" { return [25, 465, 587] }
        var ports: [UInt16] = []
        for part in port.split(separator: ",", omittingEmptySubsequences: false) {
            guard let number = UInt16(part.trimmingCharacters(in: .whitespaces)), number > 0 else {
                throw ValidationError("--port \(port.debugDescription): give 25, 465, 587, another port number, a comma list, or all")
            }
            if !ports.contains(number) { ports.append(number) }
        }
        return ports
    }

    func overrides() throws -> [ConnectOverride] {
        try connectTo.map { text in
            guard let override = ConnectOverride(text) else {
                throw ValidationError("--connect-to \(text.debugDescription) is not HOST:PORT=IP:PORT")
            }
            return override
        }
    }

    func credentials() throws -> SMTPCredentials? {
        guard let user else { return nil }
        let secret: String
        if let passwordEnv {
            guard let value = ProcessInfo.processInfo.environment[passwordEnv], !value.isEmpty else {
                printError("dnsaudit smtp probe: the environment variable \(passwordEnv) is not set or empty.")
                throw ExitCode(ExitStatus.usage)
            }
            secret = value
        } else {
            let input = SMTPExplainCommand.readStandardInput()
            secret = String(input.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).first ?? "")
                .trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
            guard !secret.isEmpty else {
                printError("dnsaudit smtp probe: --password-stdin: standard input is empty.")
                throw ExitCode(ExitStatus.usage)
            }
        }
        return SMTPCredentials(user: user, secret: secret, mechanism: authMechanism)
    }

    func run() async throws {
        let credentials = try credentials()
        let configuration = SMTPProbe.Configuration(
            ports: try ports(), expect: expect, caFile: caFile,
            stepTimeout: .milliseconds(Int(stepTimeout * 1000)), connectOverrides: try overrides(),
            credentials: credentials)
        let probe = SMTPProbe(configuration: configuration, resolver: try resolver.makeResolver())
        let report = if let mx { await probe.probe(mxDomain: mx) } else { await probe.probe(host: host ?? "") }
        if format.isJSON {
            let encoder = JSONEncoder.dnsaudit()
            encoder.dateEncodingStrategy = .iso8601
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(SMTPProbeRendering.text(report, terminal: Terminal.forStandardOutput()))
        }
        if report.allFindings.contains(where: { $0.id == "smtp.dns-failure" }) { throw ExitCode(ExitStatus.incomplete) }
        if report.worstSeverity == .error { throw ExitCode(ExitStatus.findings) }
    }
}

extension TLSStart: ExpressibleByArgument {}

extension SASLMechanism: ExpressibleByArgument {
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}
