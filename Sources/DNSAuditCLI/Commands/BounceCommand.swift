import ArgumentParser
import Foundation
import MessageAnalysis

/// `dnsaudit bounce analyze`: what a bounce says, and what to do (issue 16).
struct BounceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bounce",
        abstract: "Read a bounce: per recipient the status, hard or soft, the meaning, the fix and the check.",
        discussion: String(HelpExamples.bounce.dropFirst(2)),
        subcommands: [BounceAnalyzeCommand.self]
    )
}

struct BounceAnalyzeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a bounce (RFC 3464 report, Gmail's, or an MTA's plain text) and the original message it carries.",
        usage: "dnsaudit bounce analyze [<options>] [<file>]",
        discussion: """
            Per recipient: the action, the RFC 3463 status and its class and subject, the server's \
            reply, hard (the address is bad: stop sending) or soft (fix the cause and send again), \
            the provider's meaning from the reply table of `dnsaudit smtp explain`, the fix and the \
            dnsaudit command that proves it. When the bounce carries the original message's header \
            (message/rfc822, text/rfc822-headers, or a quoted copy) it is analysed as `dnsaudit \
            headers analyze` does; --no-dns skips the re-evaluation.

            Exit status: 0 when the bounce was read and only soft bounces were found; 1 when a \
            recipient bounced hard, the original failed a check, or no recipient was found; 64 on \
            a usage error (no such file, or input that is not a message).
            """ + HelpExamples.bounce
    )

    @OptionGroup var input: MessageInputOptions

    @OptionGroup var resolver: ResolverOptions

    func run() async throws {
        let (bytes, truncated) = try input.read()
        let headers = HeaderAnalyzer(
            resolver: input.noDNS ? nil : try resolver.makeResolver(), timeout: MessageCommandSupport.timeout(resolver))
        var report: BounceReport
        do { report = try await BounceAnalyzer(headers: headers).analyze(bytes) } catch {
            printError("dnsaudit bounce analyze: \(input.inputName): \(error.message)")
            throw ExitCode(ExitStatus.usage)
        }
        if truncated { report.problems.append(MessageCommandSupport.truncation) }
        try MessageCommandSupport.emit(report, json: input.format.isJSON, findings: report.findings) {
            HeadersRendering.text(report)
        }
    }
}
