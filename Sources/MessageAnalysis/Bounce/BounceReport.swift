import DNSCore
import Foundation
import MailAuthCore
import SMTP

/// What a bounce says: per recipient the action, status and server reply (RFC 3464), whether it
/// is hard or soft, what it means and how to fix it; and, when the bounce carries the original
/// message's header, that header analysed.
///
/// Built by ``BounceAnalyzer``. Its JSON form is documented in docs/report-format.md.
public struct BounceReport: Sendable, Hashable, Codable {
    /// The JSON layout's version; raised when a key changes meaning.
    public var schemaVersion = 1
    /// Where the facts were read from; absent when no recipient was found.
    public var format: BounceFormat?
    /// `Reporting-MTA` (RFC 3464 §2.2.2), when given.
    public var reportingMTA: String?
    /// Who the bounce is from (`Mail Delivery Subsystem <mailer-daemon@googlemail.com>`).
    public var from: String?
    public var subject: String?
    /// The bounced recipients, in report order.
    public var recipients: [BouncedRecipient]
    /// How the original message was found: `message/rfc822`, `text/rfc822-headers`, or `quoted`
    /// (after a line such as "Below this line is a copy of the message").
    public var originalSource: String?
    /// The original message's header, analysed as `dnsaudit headers analyze` does.
    public var original: HeaderAnalysis?
    /// The conclusion for a person: what failed and what to do, most important first.
    public var conclusions: [String]
    public var findings: [Finding]
    /// What could not be read.
    public var problems: [ReadProblem]

    /// The JSON text, keys sorted, pretty printed.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}

/// Reads bounces (RFC 3464 delivery status notifications, and the prose of MTAs that send none).
///
/// ```swift
/// let report = try await BounceAnalyzer(headers: HeaderAnalyzer(resolver: nil)).analyze(Array(bounce.utf8))
/// report.recipients.first?.status              // 5.7.26
/// report.recipients.first?.classification.kind // .soft: the address is fine, fix DMARC
/// ```
public struct BounceAnalyzer: Sendable {
    /// Analyses the original message's header (its resolver decides whether DNS is used).
    public var headers: HeaderAnalyzer

    public init(headers: HeaderAnalyzer) { self.headers = headers }

    /// Bytes of one text part read as the bounce's notice.
    public static let maximumProseBytes = 1 << 20

    /// Analyses a bounce.
    ///
    /// - Throws: ``MessageReadError`` when the input is not a message at all.
    public func analyze(_ bytes: some Collection<UInt8>) async throws(MessageReadError) -> BounceReport {
        let (report, originalText, bodyIncluded) = try Self.read(bytes)
        var result = report
        if let originalText {
            var original = await headers.analyze(originalText, bodyIncluded: bodyIncluded)
            // The original never reached the receiver's boundary: not finding it says nothing.
            original.findings.removeAll { $0.id == MessageFindingID.noTrustBoundary }
            result.original = original
            (result.conclusions, result.findings) = Self.conclusions(recipients: report.recipients, original: original)
        }
        return result
    }

    /// Reads a bounce without analysing the original message's header (no DNS, no `async`): the
    /// RFC 3464 and plain-text parsers alone, as the fuzz target drives them.
    ///
    /// - Throws: ``MessageReadError`` when the input is not a message at all.
    public static func parse(_ bytes: some Collection<UInt8>) throws(MessageReadError) -> BounceReport {
        try read(bytes).report
    }

    static func read(_ bytes: some Collection<UInt8>) throws(MessageReadError)
        -> (report: BounceReport, original: MessageText?, bodyIncluded: Bool)
    {
        let text = try MessageText(parsing: bytes)
        var problems = text.problems
        let root = MIMEPart.read(text, depth: 0, problems: &problems)
        let parts = root.allParts

        var recipients: [BouncedRecipient] = []
        var format: BounceFormat?
        var reportingMTA: String?
        // 1. message/delivery-status parts (RFC 3464 §2; message/global-delivery-status, RFC 6533).
        for part in parts where ["delivery-status", "global-delivery-status"].contains(part.contentType.subtype)
            && (part.contentType.type == "message" || part.contentType.type == "text") {
            let found = DSNFields.recipients(in: TextLines.normalized(part.decodedBody.prefix(Self.maximumProseBytes)))
            recipients += found.recipients.prefix(PlainTextBounce.maximumRecipients - recipients.count)
            reportingMTA = reportingMTA ?? found.reportingMTA
        }
        if !recipients.isEmpty { format = .deliveryStatus }
        // 2. The fields in a text part (Gmail), or in a report whose MIME structure is broken.
        if recipients.isEmpty {
            for part in parts where part.contentType.type == "text" || part.contentType.type == "multipart" {
                let bytes = part.contentType.type == "multipart" ? part.text.body : part.decodedBody
                let body = TextLines.normalized(bytes.prefix(Self.maximumProseBytes))
                let lowered = body.lowercased()
                guard lowered.contains("final-recipient:") || lowered.contains("original-recipient:") else { continue }
                let found = DSNFields.recipients(in: body)
                if !found.recipients.isEmpty {
                    recipients = found.recipients
                    reportingMTA = found.reportingMTA
                    format = .deliveryStatusInText
                    break
                }
            }
        }
        // 3. The prose.
        var quotedOriginal: MessageText?
        // A notice is short: a huge text part is read only at its start (the original's copy, if
        // quoted there, is read from that start too).
        var proseTexts: [String] = []
        for part in parts where part.contentType.type == "text" && part.contentType.subtype != "rfc822-headers" {
            if part.decodedBody.count > Self.maximumProseBytes {
                problems.append(ReadProblem(
                    line: part.text.bodyFirstLine,
                    "a text part is longer than \(Self.maximumProseBytes >> 20) MiB: only its start is read as the notice"))
            }
            let text = TextLines.normalized(part.decodedBody.prefix(Self.maximumProseBytes))
            proseTexts.append(part.contentType.subtype == "html" ? Self.strippingTags(text) : text)
        }
        // A multipart whose boundaries could not be found, or an odd top-level type: its body is the prose.
        if proseTexts.isEmpty { proseTexts = [TextLines.normalized(text.body.prefix(Self.maximumProseBytes))] }
        let bounceFrom = text.values("From").flatMap(Addresses.all(in:)) + text.values("To").flatMap(Addresses.all(in:))
        for body in proseTexts {
            let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
            let start = PlainTextBounce.originalStart(lines)
            let prose = start.map { lines[..<$0].joined(separator: "\n") } ?? body
            if quotedOriginal == nil, let start {
                let rest = lines[start...].drop { $0.trimmingCharacters(in: .whitespaces).isEmpty }
                let quoted = Array(rest.joined(separator: "\n").utf8)
                if let original = try? MessageText(parsing: quoted), original.fields.count >= 2 { quotedOriginal = original }
            }
            if recipients.isEmpty {
                let found = PlainTextBounce.recipients(in: prose, bounceFrom: bounceFrom)
                if !found.isEmpty {
                    recipients = found
                    format = .plainText
                }
            } else {
                // What the DSN leaves out is often in the prose: the reply, the refused command.
                let notice = String(prose.prefix(PlainTextBounce.maximumTranscriptScan))
                let fallback = PlainTextBounce.transcript(notice)
                    ?? PlainTextBounce.diagnosticText(notice.split(separator: "\n").map(String.init))
                for index in recipients.indices {
                    var recipient = recipients[index]
                    if recipient.diagnostic == nil, let text = fallback {
                        recipient.diagnostic = text
                        if let reply = ReplyText.firstReply(text) {
                            recipient.replyCode = reply.code
                            if let code = reply.enhancedCode, DSNFields.replyCodeIsBetter(code, than: recipient.status) {
                                recipient.status = code
                                recipient.statusSource = .reply
                            }
                        }
                    }
                    if recipient.smtpCommand == nil {
                        recipient.smtpCommand = SMTPPhase.command(for: recipient.recipient, inTranscript: notice)
                    }
                    if recipient != recipients[index] {
                        recipient.reclassify()
                        recipients[index] = recipient
                    }
                }
            }
        }
        // The original message.
        var originalSource: String?
        var originalText: MessageText?
        var bodyIncluded = false
        if let part = parts.first(where: { $0.contentType.mediaType == "message/rfc822" || $0.contentType.mediaType == "message/global" }) {
            if let message = try? MessageText(parsing: part.decodedBody, firstLine: part.text.bodyFirstLine) {
                originalText = message
                originalSource = "message/rfc822"
                bodyIncluded = !message.body.isEmpty
            }
        } else if let part = parts.first(where: { $0.contentType.subtype == "rfc822-headers" }) {
            originalText = try? MessageText(parsing: part.decodedBody, firstLine: part.text.bodyFirstLine)
            originalSource = "text/rfc822-headers"
        } else if let quotedOriginal {
            originalText = quotedOriginal
            originalSource = "quoted"
        }
        let (conclusions, findings) = Self.conclusions(recipients: recipients, original: nil)
        let report = BounceReport(
            format: format, reportingMTA: reportingMTA, from: text.first("From"), subject: text.first("Subject"),
            recipients: recipients, originalSource: originalSource, original: nil, conclusions: conclusions,
            findings: findings, problems: problems)
        return (report, originalText, bodyIncluded)
    }

    /// What a person should take away, and the findings behind it.
    static func conclusions(recipients: [BouncedRecipient], original: HeaderAnalysis?) -> ([String], [Finding]) {
        var conclusions: [String] = []
        var findings: [Finding] = []
        if recipients.isEmpty {
            conclusions.append("No bounced recipient was found: this may not be a bounce, or its format is one dnsaudit does not know.")
            findings.append(Finding(
                id: MessageFindingID.noRecipients, severity: .warning, title: "No bounced recipient found",
                detail: "The message has no RFC 3464 delivery-status fields and its text names no failed recipient with a server reply.",
                fix: "Paste the whole bounce, including its MIME parts (\"Show original\")."))
        }
        for recipient in recipients {
            let c = recipient.classification
            let status = recipient.status.map { " \($0)" } ?? ""
            let statusNote = recipient.statusSource == .inferred ? " (inferred: the bounce gives no status code)" : ""
            let action = recipient.action.map { "\($0.rawValue): " } ?? ""
            conclusions.append(
                "\(recipient.recipient): \(action)\(c.kind.rawValue) bounce\(status)\(statusNote). \(c.explanation.meaning) Fix: \(c.fix)"
                    + (c.command.map { " Prove it: \($0)" } ?? ""))
            findings.append(Finding(
                id: c.kind == .hard ? MessageFindingID.hardBounce : MessageFindingID.softBounce,
                severity: c.kind == .hard ? .error : .warning,
                title: "\(recipient.recipient): \(c.kind.rawValue) bounce\(status)",
                detail: "\(c.kindReason) \(c.explanation.meaning) \(c.explanation.cause)",
                evidence: [recipient.diagnostic].compactMap { $0 }, rfc: c.explanation.source.citation,
                fix: c.fix + (c.command.map { " Prove it: \($0)" } ?? "")))
        }
        // An authentication bounce with the original's header: say which check, from the header.
        let authenticationBounce = recipients.contains { recipient in
            guard let status = recipient.status else { return false }
            let text = (recipient.diagnostic ?? "").lowercased()
            return (status.subject == 7 && [1, 23, 25, 26, 27, 28, 29, 30, 515].contains(status.detail))
                && (status.detail != 1 || ["spf", "dkim", "dmarc", "authenticat"].contains(where: text.contains))
        }
        if authenticationBounce, let original {
            if let aligned = original.findings.first(where: { $0.id == MessageFindingID.fromNotAligned }) {
                conclusions.append("In the original message: \(aligned.detail)")
                findings.append(Finding(
                    id: MessageFindingID.authenticationCause, severity: .error, title: aligned.title, detail: aligned.detail,
                    evidence: aligned.evidence, rfc: aligned.rfc, fix: aligned.fix))
            } else if original.findings.contains(where: { $0.id == MessageFindingID.receiverFailed }) {
                let failed = original.findings.filter { $0.id == MessageFindingID.receiverFailed }.map(\.title)
                conclusions.append("In the original message: \(failed.joined(separator: "; ")).")
            }
        }
        findings.sort { $0.severity > $1.severity }
        return (conclusions, findings)
    }

    /// HTML reduced to its text (tags removed, `<br>` and block ends as new lines).
    static func strippingTags(_ html: String) -> String {
        var out = ""
        var inTag = false
        var tag = ""
        for character in html {
            if character == "<" { inTag = true; tag = ""; continue }
            if inTag {
                if character == ">" {
                    inTag = false
                    let name = tag.lowercased()
                    if name.hasPrefix("br") || name.hasPrefix("/p") || name.hasPrefix("/div") || name.hasPrefix("/tr") || name.hasPrefix("p") {
                        out.append("\n")
                    }
                } else {
                    tag.append(character)
                }
                continue
            }
            out.append(character)
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&nbsp;", with: " ")
    }
}
