import ArgumentParser
import DNSCore
import Foundation
import MailAuthCore
import MessageAnalysis

/// `dnsaudit headers analyze`: what a received message's headers say (issue 16).
struct HeadersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "headers",
        abstract: "Read a received message's headers: the path, the receiver's verdicts, the checks as evaluated now.",
        discussion: String(HelpExamples.headers.dropFirst(2)),
        subcommands: [HeadersAnalyzeCommand.self]
    )
}

/// The options `headers analyze` and `bounce analyze` share: the input, DNS or not, the format.
struct MessageInputOptions: ParsableArguments {
    @Argument(help: ArgumentHelp("The message file, or - (the default) to read standard input.", valueName: "file"))
    var file: String = "-"

    @Flag(name: .customLong("no-dns"), help: "Do not evaluate SPF, DKIM, DMARC and ARC now (they are reported as not checked).")
    var noDNS = false

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    /// Bytes read at most; a longer input is cut (and the report says so).
    static let maximumInputBytes = 64 << 20

    /// The input bytes and whether they were cut. A usage error names an unreadable file.
    func read() throws -> (bytes: [UInt8], truncated: Bool) {
        let handle: FileHandle
        if file == "-" {
            handle = FileHandle.standardInput
        } else {
            guard let opened = FileHandle(forReadingAtPath: file) else {
                throw ValidationError("\(file): cannot open the file (no such file, or no permission)")
            }
            handle = opened
        }
        var bytes: [UInt8] = []
        var truncated = false
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw ValidationError("\(file == "-" ? "standard input" : file): cannot read: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            if bytes.count + chunk.count > Self.maximumInputBytes {
                bytes += chunk.prefix(Self.maximumInputBytes - bytes.count)
                truncated = true
                break
            }
            bytes += chunk
        }
        return (bytes, truncated)
    }

    /// The name of the input in messages.
    var inputName: String { file == "-" ? "standard input" : file }
}

struct HeadersAnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a message's headers (\"Show original\" in Gmail): hops, trust boundary, Authentication-Results, ARC, spam-folder hints.",
        usage: "dnsaudit headers analyze [<options>] [<file>]",
        discussion: """
            Reads the whole message or only its header. SPF (for the connecting IP, HELO and MAIL \
            FROM), every DKIM signature, DMARC and the ARC chain are evaluated again with DNS and \
            labelled "as evaluated now" beside what the receiver recorded; --no-dns skips that. \
            The trust boundary is the hop received by --authserv-id's host, else by one of the \
            recipient domain's MX hosts, else by the topmost Authentication-Results field's host; \
            Received-SPF client-ip= and X-Forefront-Antispam-Report CIP: are fallbacks.

            Exit status: 0 when the headers were read and nothing failed; 1 when a finding is an \
            error (the receiver recorded a failure, From is not aligned, …); 64 on a usage error \
            (no such file, or input that is not a message).
            """ + HelpExamples.headers
    )

    @OptionGroup var input: MessageInputOptions

    @Option(name: .customLong("authserv-id"), help: ArgumentHelp(
        "The receiver's authserv-id (the first word of its Authentication-Results field, e.g. mx.google.com).",
        valueName: "id"))
    var authservID: String?

    @OptionGroup var resolver: ResolverOptions

    func run() async throws {
        let (bytes, truncated) = try input.read()
        let analyzer = HeaderAnalyzer(
            resolver: input.noDNS ? nil : try resolver.makeResolver(), authservID: authservID,
            timeout: MessageCommandSupport.timeout(resolver))
        var analysis: HeaderAnalysis
        do { analysis = try await analyzer.analyze(bytes) } catch {
            printError("dnsaudit headers analyze: \(input.inputName): \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
        if truncated { analysis.problems.append(MessageCommandSupport.truncation) }
        try MessageCommandSupport.emit(analysis, json: input.format.isJSON, findings: analysis.findings) {
            HeadersRendering.text(analysis)
        }
    }
}

enum MessageCommandSupport {
    /// The problem a report gets when only the start of an oversized input was read.
    static var truncation: ReadProblem {
        ReadProblem("the input is longer than \(MessageInputOptions.maximumInputBytes >> 20) MiB: only its start was read")
    }

    /// Prints `report` as JSON or as `text()`, then exits 1 when a finding is an error.
    static func emit(_ report: some Encodable, json: Bool, findings: [Finding], text: () -> String) throws {
        if json {
            print(String(decoding: try encoder().encode(report), as: UTF8.self))
        } else {
            print(text())
        }
        if findings.contains(where: { $0.severity == .error }) { throw ExitCode(ExitStatus.findings) }
    }

    /// JSON as every dnsaudit report, dates as RFC 3339.
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder.dnsaudit()
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// Each engine's DNS budget: ten questions' worth of `--timeout × --attempts`, at least 5 s.
    static func timeout(_ options: ResolverOptions) -> Duration {
        max(.seconds(5), options.questionTimeout * (options.attempts * 10))
    }
}
