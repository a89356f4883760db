import ArgumentParser
import Foundation
import SMTP

/// `dnsaudit smtp …`: why a script cannot send. `explain` reads a server reply or a client
/// library's error; the probe (issue 15's other half) will join it here.
struct SMTPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smtp",
        abstract: "Explain why a script cannot send mail.",
        discussion: String(HelpExamples.smtp.dropFirst(2)),
        subcommands: [SMTPExplainCommand.self]
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
            """ + HelpExamples.smtp
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
