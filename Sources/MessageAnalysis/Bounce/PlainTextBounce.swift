import Foundation
import SMTP

/// Bounces without RFC 3464 fields, read from their prose: qmail ("<user@example.com>: … Remote
/// host said: 550 …"), Exim ("The following address(es) failed: …"), Exchange NDRs ("did not reach
/// the following recipient(s)"), Gmail's "Mail Delivery Subsystem" ("Delivery to the following
/// recipient failed permanently"), OpenSMTPD, Domino, Yahoo.
enum PlainTextBounce {
    /// Lines that start the copy of the original message, as the common MTAs write them.
    static let originalMarkers = [
        "--- below this line is a copy of the message", "------ this is a copy of the message",
        "----- original message -----", "original message headers:", "below is a copy of the original message",
        "----- the original message", "------ original message ------", "----- transcript of session follows",
        "the original message was:", "----- message header follows -----", "original message follows",
        "---------- forwarded message ----------", "--- the header of the original message is following. ---",
        "------ a copy of the original message follows", "the header of the original message:",
        "--- original message follows ---", "-------- original message --------",
    ]

    /// Words that say delivery is still being tried (a delay notice, not a failure).
    static let delayWords = [
        "has not yet been delivered", "will continue trying", "still trying", "will be retried",
        "delivery attempts will continue", "is delayed", "warning: message", "delayed", "will retry",
    ]

    /// Where the original message's copy starts in `lines` (the line after the marker), or nil.
    static func originalStart(_ lines: [Substring]) -> Int? {
        for (index, line) in lines.enumerated() {
            let lowered = line.trimmingCharacters(in: .whitespaces).lowercased()
            if originalMarkers.contains(where: lowered.hasPrefix) && !lowered.hasPrefix("----- transcript") {
                return index + 1
            }
        }
        return nil
    }

    /// The recipients the prose names, each with its reply.
    /// Recipients read from one notice at most; the rest are ignored.
    static let maximumRecipients = 500
    /// Lines of one recipient's block read.
    static let maximumBlockLines = 50
    /// Bytes of the notice searched for a transcript naming each recipient (notices are short;
    /// searching a huge one once per recipient would not be).
    static let maximumTranscriptScan = 64 << 10

    /// The class a notice states for all its recipients: 4 for a delay, 5 for "permanent",
    /// "could not be delivered" and the like, else none.
    static func statedClass(_ lowered: String, delayed: Bool) -> Int? {
        if delayed { return 4 }
        if ["permanent", "failed", "could not be delivered", "did not reach", "was not delivered", "unable to deliver",
            "not be delivered", "undeliverable"].contains(where: lowered.contains) { return 5 }
        if lowered.contains("temporar") { return 4 }
        return nil
    }

    static func recipients(in prose: String, bounceFrom: [String]) -> [BouncedRecipient] {
        let lines = prose.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        let ignored = Set(bounceFrom.map { $0.lowercased() })
        // Lines that name a recipient: the address alone, "<address>:", "address: reply",
        // "address on <date>", "address<mailto:address>".
        var found: [(address: String, line: Int, rest: String)] = []
        var seen: Set<String> = []
        for (index, line) in lines.enumerated() where found.count < maximumRecipients {
            guard let address = recipientAddress(in: line) else { continue }
            let key = address.address.lowercased()
            // The bounce's own From and To are not recipients, unless a line marks the address as
            // one ("<sender@example.com>:", qmail's form for a message sent to oneself).
            let marked = line.trimmingCharacters(in: .whitespaces).hasSuffix(":") || !address.rest.isEmpty
            if (ignored.contains(key) && !marked) || !seen.insert(key).inserted { continue }
            found.append((address.address, index, address.rest))
        }
        if found.isEmpty, let failed = lines.firstIndex(where: { $0.lowercased().hasSuffix("address(es) failed:") }) {
            // Exim names a local recipient without a domain: "  kijitora" under "… failed:".
            if let index = lines[(failed + 1)...].firstIndex(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) {
                let word = lines[index].trimmingCharacters(in: .whitespaces)
                if !word.isEmpty, !word.contains(" ") { found.append((word, index, "")) }
            }
        }
        let lowered = prose.lowercased()
        let delayed = delayWords.contains(where: lowered.contains)
        // Read once, not per recipient: the whole notice's reply (for recipients whose own lines
        // hold none), the class it states for all, and the start of it that transcripts are in.
        let whole = lines.map(String.init)
        let wholeDiagnostic = ReplyText.firstReply(whole.joined(separator: "\n")) != nil ? diagnosticText(whole) : nil
        let proseClass = statedClass(lowered, delayed: delayed)
        let notice = String(prose.prefix(maximumTranscriptScan))
        var recipients: [BouncedRecipient] = []
        for (position, item) in found.enumerated() {
            let end = position + 1 < found.count ? found[position + 1].line : lines.count
            let block = [item.rest] + lines[(item.line + 1)..<end].prefix(maximumBlockLines).map { String($0) }
            let blockText = block.joined(separator: "\n")
            // No reply in the recipient's own lines: the reply may stand elsewhere in the notice
            // (Gmail writes the address, then the reply); else the recipient's own words are the
            // diagnostic (Exchange 2003: "The recipient name is not recognized").
            let ownReply = ReplyText.firstReply(blockText) != nil
            let diagnostic = ownReply ? diagnosticText(block) : wholeDiagnostic ?? diagnosticText(block)
            let reply = ReplyText.firstReply(diagnostic ?? "")
            var status = reply?.enhancedCode
            var source: StatusSource? = status == nil ? nil : .reply
            if status == nil {
                let words = (blockText + " " + (diagnostic ?? "")).lowercased()
                status = inferredStatus(replyCode: reply?.code, text: words, statedClass: proseClass)
                source = status == nil ? nil : .inferred
            }
            let statusClass = status?.statusClass ?? reply?.code.map { $0 / 100 }
            let action: DeliveryAction = delayed && statusClass != 5 ? .delayed : .failed
            let command = SMTPPhase.command(inDiagnostic: block.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " "))
                ?? SMTPPhase.command(for: item.address, inTranscript: notice)
            recipients.append(BouncedRecipient(
                recipient: item.address, action: action, status: status, statusSource: source, replyCode: reply?.code,
                diagnostic: diagnostic, remoteMTA: remoteHost(block), smtpCommand: command))
        }
        return recipients
    }

    /// A sendmail transcript ("----- Transcript of session follows -----" to the next empty
    /// line), joined; nil when there is none.
    static func transcript(_ prose: String) -> String? {
        let lines = prose.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.lowercased().contains("transcript of session follows") }) else { return nil }
        let body = lines[(start + 1)...].prefix { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        let text = body.map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return text.isEmpty ? nil : String(text.prefix(1_000))
    }

    /// The recipient address a line names, and the text after it on the line.
    static func recipientAddress(in line: Substring) -> (address: String, rest: String)? {
        var text = line.trimmingCharacters(in: .whitespaces)
        guard text.contains("@"), text.count < 400 else { return nil }
        if let mailto = text.range(of: "<mailto:") { text = String(text[..<mailto.lowerBound]) }
        // "<user@example.com>:" or "user@example.com:" (qmail, Yahoo, OpenSMTPD).
        var rest = ""
        var candidate = text
        if let space = text.firstIndex(where: { $0 == " " || $0 == "\t" }) {
            candidate = String(text[..<space])
            rest = String(text[space...]).trimmingCharacters(in: .whitespaces)
            // "user@example.com on Thu, 29 Apr 2010" (Exchange 2003) and "address: reply" only.
            let lowered = rest.lowercased()
            // "user@example.com ... unknown host" (Exim 3, sendmail's "... User unknown").
            guard candidate.hasSuffix(":") || lowered.hasPrefix("on ") || lowered.hasPrefix("(") || lowered.hasPrefix("...")
            else { return nil }
            if lowered.hasPrefix("on ") { rest = "" }
        }
        candidate = candidate.trimmingCharacters(in: CharacterSet(charactersIn: "<>:;,\"'"))
        guard isAddress(candidate) else { return nil }
        return (candidate, rest)
    }

    static func isAddress(_ text: String) -> Bool {
        guard let at = text.lastIndex(of: "@"), at > text.startIndex else { return false }
        let domain = text[text.index(after: at)...]
        guard domain.contains("."), !domain.hasSuffix("."), !text.contains(" ") else { return false }
        return text.allSatisfy { $0.isASCII && !$0.isWhitespace && $0 != "<" && $0 != ">" && $0 != "(" && $0 != ")" }
    }

    /// The server's reply in a block: from the first line holding a reply code to the end of that
    /// paragraph, joined; else the block's first non-empty lines.
    static func diagnosticText(_ block: [String]) -> String? {
        var out: [String] = []
        var started = false
        for line in block {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if !started {
                if ReplyText.firstReply(trimmed) != nil { started = true } else { continue }
            } else if trimmed.isEmpty {
                break
            }
            out.append(trimmed)
            if out.count >= 8 { break }
        }
        if out.isEmpty {
            out = Array(block.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.prefix(3))
        }
        let text = out.joined(separator: " ")
        return text.isEmpty ? nil : String(text.prefix(1_000))
    }

    /// `host mx.example.com [192.0.2.1]`, `by mx.example.com.`, `192.0.2.153 does not like`.
    static func remoteHost(_ block: [String]) -> String? {
        for line in block {
            let words = line.split(separator: " ")
            for (index, word) in words.enumerated() where word.lowercased() == "host" || word.lowercased() == "by" {
                if let next = words[safe: index + 1], next.contains("."), !next.contains("@") {
                    return next.trimmingCharacters(in: CharacterSet(charactersIn: ".,:[]"))
                }
            }
        }
        return nil
    }

    /// A status the prose does not write, inferred from its words and reply code (reported as
    /// inferred): `x.1.1` for an unknown user, `x.2.2` for a full mailbox, `x.4.7` for an expired
    /// message, else `x.0.0`.
    ///
    /// `text` is the recipient's own words; `statedClass` the class the notice states for all
    /// recipients ("This is a permanent error").
    static func inferredStatus(replyCode: Int?, text: String, statedClass: Int?) -> EnhancedStatusCode? {
        let statusClass = replyCode.map { $0 / 100 } ?? statedClass
        guard let statusClass, statusClass == 4 || statusClass == 5 else { return nil }
        if BounceClassifier.addressUnknownWords.contains(where: text.contains) {
            return EnhancedStatusCode(statusClass: statusClass, subject: 1, detail: 1)
        }
        if text.contains("mailbox full") || text.contains("mailbox is full") || text.contains("quota") {
            return EnhancedStatusCode(statusClass: statusClass, subject: 2, detail: 2)
        }
        if text.contains("expired") || text.contains("too long") || text.contains("retry timeout") {
            return EnhancedStatusCode(statusClass: statusClass, subject: 4, detail: 7)
        }
        return EnhancedStatusCode(statusClass: statusClass, subject: 0, detail: 0)
    }
}
