import Foundation
import SMTP

/// `smtp explain` as text: one labelled line per part of the explanation.
enum SMTPExplainRendering {
    static func text(_ explanation: ReplyExplanation) -> String {
        var lines: [(String, String)] = []
        if let reply = explanation.reply { lines.append(("Reply", reply.line)) }
        if let provider = explanation.provider { lines.append(("Provider", name(provider))) }
        lines.append(("Means", explanation.meaning))
        lines.append(("Why", explanation.cause))
        lines.append(("Fix", explanation.fix))
        if let command = explanation.command { lines.append(("Check", command)) }
        if let registry = explanation.registry {
            let code = explanation.reply?.enhancedCode?.description ?? explanation.reply.map { String($0.code) } ?? ""
            var reading = [registry.statusClass, registry.subject, registry.detail].compactMap { $0 }.joined(separator: " · ")
            if let source = registry.detailSource { reading += " (\(source))" }
            lines.append(("Code", "\(code): \(reading)"))
        }
        switch explanation.permanence {
        case .hard: lines.append(("Retry", "no: a permanent failure until the cause is fixed"))
        case .soft: lines.append(("Retry", "later: a temporary failure"))
        case nil: break
        }
        lines.append(("Source", explanation.source.citation + (explanation.source.url.map { " <\($0)>" } ?? "")))
        lines.append(("Match", "\(explanation.id) (\(explanation.match.rawValue))"))
        if explanation.truncated {
            lines.append(("Note", "the input was longer than \(ReplyClassifier.maxInputBytes) bytes; only its start was read"))
        }
        let width = (lines.map(\.0.count).max() ?? 0) + 2
        return lines.map { label, value in
            (label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value
        }.joined(separator: "\n")
    }

    static func name(_ provider: MailProvider) -> String {
        switch provider {
        case .gmail: "Gmail / Google Workspace"
        case .microsoft: "Microsoft 365 / Outlook.com"
        case .yahoo: "Yahoo / AOL"
        default: provider.rawValue
        }
    }
}
