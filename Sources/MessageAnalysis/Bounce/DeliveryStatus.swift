import Foundation
import SMTP

/// `Action` of a per-recipient DSN block (RFC 3464 §2.3.3). An open set: an unknown value is
/// kept as written, in lower case.
public struct DeliveryAction: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue.lowercased() }

    /// The message could not be delivered; no more attempts will be made.
    public static let failed = DeliveryAction(rawValue: "failed")
    /// Not delivered yet; the reporting MTA keeps trying.
    public static let delayed = DeliveryAction(rawValue: "delayed")
    /// Delivered (a success DSN).
    public static let delivered = DeliveryAction(rawValue: "delivered")
    /// Passed to a system that sends no DSNs.
    public static let relayed = DeliveryAction(rawValue: "relayed")
    /// Delivered to a list or alias, which forwarded it.
    public static let expanded = DeliveryAction(rawValue: "expanded")

    public var description: String { rawValue }
}

/// Where a bounce's per-recipient facts were read from.
public enum BounceFormat: String, Sendable, Hashable, Codable {
    /// A `message/delivery-status` part (RFC 3464 §2), in a `multipart/report` (RFC 6522) or not.
    case deliveryStatus = "delivery-status"
    /// RFC 3464 fields (`Final-Recipient:`, `Action:`, `Status:`) written in a text part, as
    /// Gmail and some MTAs do, or in a report whose MIME structure is broken.
    case deliveryStatusInText = "delivery-status-in-text"
    /// No DSN fields: read from the prose (qmail, Exim, Exchange NDRs, "Mail Delivery Subsystem").
    case plainText = "plain-text"
}

/// How a recipient's status code was found.
public enum StatusSource: String, Sendable, Hashable, Codable {
    /// The DSN `Status:` field.
    case statusField = "status-field"
    /// An enhanced code in the server's reply (`Diagnostic-Code`, or the prose).
    case reply
    /// Not written anywhere: inferred from the reply code and the server's words (say so).
    case inferred
}

/// One recipient of a bounce, as the report states it (RFC 3464 §2.3).
public struct BouncedRecipient: Sendable, Hashable, Codable {
    /// `Final-Recipient` (the address), or the address the prose names.
    public var recipient: String
    /// `Original-Recipient`, when given.
    public var originalRecipient: String?
    /// `Action`; absent when neither the report nor its words say.
    public var action: DeliveryAction?
    /// The RFC 3463 status: `Status:`, else the reply's enhanced code, else inferred.
    public var status: EnhancedStatusCode?
    public var statusSource: StatusSource?
    /// The SMTP reply code (`550`) from the diagnostic, when there is one.
    public var replyCode: Int?
    /// `Diagnostic-Code` without its type (`smtp;`), or the server reply quoted in the prose.
    public var diagnostic: String?
    /// `Remote-MTA` (without `dns;`), or the host the prose names.
    public var remoteMTA: String?
    /// The SMTP command the server refused (`MAIL`, `RCPT`, `DATA`), when the bounce says
    /// ("in reply to end of DATA command", a transcript's `>>> DATA`).
    public var smtpCommand: String?
    /// What it means and what to do.
    public var classification: BounceClassification

    public init(
        recipient: String, originalRecipient: String? = nil, action: DeliveryAction? = nil,
        status: EnhancedStatusCode? = nil, statusSource: StatusSource? = nil, replyCode: Int? = nil,
        diagnostic: String? = nil, remoteMTA: String? = nil, smtpCommand: String? = nil
    ) {
        self.recipient = recipient
        self.originalRecipient = originalRecipient
        self.action = action
        self.status = status
        self.statusSource = statusSource
        self.replyCode = replyCode
        self.diagnostic = diagnostic
        self.remoteMTA = remoteMTA
        self.smtpCommand = smtpCommand ?? diagnostic.flatMap(SMTPPhase.command(inDiagnostic:))
        self.classification = BounceClassifier.classify(
            status: status, replyCode: replyCode, diagnostic: diagnostic, remoteMTA: remoteMTA,
            command: self.smtpCommand)
    }

    /// Classifies again after a field changed.
    mutating func reclassify() {
        classification = BounceClassifier.classify(
            status: status, replyCode: replyCode, diagnostic: diagnostic, remoteMTA: remoteMTA, command: smtpCommand)
    }
}

/// RFC 3464 field blocks: `Name: value` lines, continuation lines folded in, blocks separated by
/// empty lines.
enum DSNFields {
    /// Blocks of fields found in `text`; lines that are not fields end nothing and are skipped.
    static func blocks(_ text: String) -> [[(name: String, value: String)]] {
        var blocks: [[(name: String, value: String)]] = []
        var current: [(name: String, value: String)] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { blocks.append(current); current = [] }
                continue
            }
            if let first = line.first, first == " " || first == "\t" {
                if let last = current.popLast() {
                    current.append((last.name, last.value + " " + line.trimmingCharacters(in: .whitespaces)))
                }
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                if !current.isEmpty { blocks.append(current); current = [] }
                continue
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(" "), name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
                if !current.isEmpty { blocks.append(current); current = [] }
                continue
            }
            current.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        if !current.isEmpty { blocks.append(current) }
        return blocks
    }

    static func value(_ block: [(name: String, value: String)], _ name: String) -> String? {
        block.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    /// `type ";" value` (`rfc822; user@example.com`, `smtp; 550 …`, `dns; mx.example.com`): the value.
    static func typed(_ value: String?) -> String? {
        guard let value else { return nil }
        guard let semicolon = value.firstIndex(of: ";") else { return value.trimmingCharacters(in: .whitespaces) }
        let type = value[..<semicolon]
        guard !type.contains(" "), type.count < 20 else { return value }
        return value[value.index(after: semicolon)...].trimmingCharacters(in: .whitespaces)
    }

    /// Per-recipient blocks read from `text`: those with `Final-Recipient`, `Original-Recipient`
    /// or `Action` and `Status`. `reportingMTA` from the per-message block.
    static func recipients(in text: String) -> (recipients: [BouncedRecipient], reportingMTA: String?) {
        var recipients: [BouncedRecipient] = []
        var reportingMTA: String?
        for block in blocks(text) {
            if recipients.count >= PlainTextBounce.maximumRecipients { break }
            if let mta = value(block, "Reporting-MTA") { reportingMTA = typed(mta) }
            let final = typed(value(block, "Final-Recipient")) ?? typed(value(block, "Original-Recipient"))
            let status = value(block, "Status")
            guard let address = final ?? (status != nil && value(block, "Action") != nil ? "(not named)" : nil) else { continue }
            let diagnostic = typed(value(block, "Diagnostic-Code"))
            let reply = diagnostic.flatMap(ReplyText.firstReply)
            var code = status.flatMap { EnhancedStatusCode(firstWord($0)) }
            var source: StatusSource? = code == nil ? nil : .statusField
            // A generic X.0.0 in Status, a specific code in the reply (Amazon SES, Courier): the
            // reply's is the one that says what happened.
            if let replyCode = reply?.enhancedCode, replyCodeIsBetter(replyCode, than: code) {
                code = replyCode
                source = .reply
            }
            recipients.append(BouncedRecipient(
                recipient: cleanAddress(address), originalRecipient: typed(value(block, "Original-Recipient")).map(cleanAddress),
                action: value(block, "Action").map { DeliveryAction(rawValue: firstWord($0)) }, status: code,
                statusSource: source, replyCode: reply?.code, diagnostic: diagnostic,
                remoteMTA: typed(value(block, "Remote-MTA"))))
        }
        return (recipients, reportingMTA)
    }

    /// Whether a reply's enhanced code says more than the `Status:` field: there is none, or it
    /// is a generic `X.0.0` and the reply's code is a specific one of the same class.
    static func replyCodeIsBetter(_ reply: EnhancedStatusCode, than status: EnhancedStatusCode?) -> Bool {
        guard let status else { return true }
        return status.subject == 0 && status.detail == 0 && reply.statusClass == status.statusClass
            && (reply.subject != 0 || reply.detail != 0)
    }

    static func firstWord(_ text: String) -> String {
        String(text.trimmingCharacters(in: .whitespaces).prefix { !$0.isWhitespace && $0 != "(" && $0 != ";" })
    }

    static func cleanAddress(_ text: String) -> String {
        text.trimmingCharacters(in: CharacterSet(charactersIn: " \t<>\"'"))
    }
}

/// SMTP replies and enhanced codes inside free text.
enum ReplyText {
    /// The first `NNN` reply code in `text` (with the enhanced code after it, when there is one),
    /// or a lone enhanced code.
    static func firstReply(_ text: String) -> (code: Int?, enhancedCode: EnhancedStatusCode?)? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "'" || $0 == "\"" || $0 == "(" || $0 == ")" })
        var code: Int?
        var enhanced: EnhancedStatusCode?
        for (index, rawWord) in words.enumerated() {
            var word = rawWord
            if word.hasPrefix("#") { word = word.dropFirst() }
            while let last = word.last, last == "," || last == ";" || last == ":" || last == ">" || last == "." && word.count > 5 {
                word = word.dropLast()
            }
            if code == nil, word.count == 3 || (word.count == 4 && word.last == "-"), let value = Int(word.prefix(3)),
               (400...599).contains(value) {
                // "550-5.7.26" splits as one word: handled below.
                code = value
                if let next = words[safe: index + 1], let status = EnhancedStatusCode(trimmed(next)) { enhanced = status }
                if enhanced != nil { break }
                continue
            }
            if word.count > 4, let dash = word.firstIndex(of: "-"), let value = Int(word[..<dash]), (400...599).contains(value),
               let status = EnhancedStatusCode(word[word.index(after: dash)...]) {
                return (code ?? value, status)
            }
            if enhanced == nil, let status = EnhancedStatusCode(word), status.statusClass != 2 {
                enhanced = status
                if code != nil { break }
            }
        }
        if code == nil && enhanced == nil { return nil }
        return (code, enhanced)
    }

    static func trimmed(_ word: Substring) -> Substring {
        var word = word
        while let last = word.last, last == "," || last == ";" || last == ":" { word = word.dropLast() }
        return word
    }
}


/// Which SMTP command a refusal answered.
enum SMTPPhase {
    /// From a diagnostic's own words: Postfix's "(in reply to end of DATA command)", Exim's
    /// "after MAIL FROM:", "after RCPT TO:".
    static func command(inDiagnostic text: String) -> String? {
        let lowered = text.lowercased()
        if lowered.contains("end of data") || lowered.contains("after data") || lowered.contains("to data command") { return "DATA" }
        if lowered.contains("rcpt to") { return "RCPT" }
        if lowered.contains("mail from") && (lowered.contains("after mail from") || lowered.contains("reply to mail from")) { return "MAIL" }
        return nil
    }

    /// From a transcript (`>>> DATA` then `<<< 550 … user@example.com …`): the last command
    /// sent before the reply that names `recipient` (its local part, as transcripts may differ
    /// in the domain).
    static func command(for recipient: String, inTranscript text: String) -> String? {
        let localPart = recipient.split(separator: "@").first.map { $0.lowercased() } ?? recipient.lowercased()
        guard !localPart.isEmpty else { return nil }
        // A Postfix paragraph naming the recipient: "… said: 550 … (in reply to end of DATA command)".
        for paragraph in text.components(separatedBy: "\n\n") where paragraph.lowercased().contains(localPart + "@") {
            let joined = paragraph.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
            if let command = command(inDiagnostic: joined) { return command }
        }
        var last: String?
        for line in text.split(separator: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix(">>> ") {
                let command = trimmed.dropFirst(4).split(separator: " ").first.map { $0.uppercased() }
                last = command.map { $0.hasPrefix("MAIL") ? "MAIL" : $0.hasPrefix("RCPT") ? "RCPT" : $0 }
            } else if trimmed.hasPrefix("<<< "), trimmed.lowercased().contains(localPart + "@") {
                return last
            }
        }
        return nil
    }
}
