import DKIM
import DNSCore
import Foundation

/// The RFC 5322 checks on the message itself: From, Date, Message-ID (step 1 of the gate).
enum MessageLint {
    /// Runs the header checks; returns them and the From domain when it could be read.
    static func check(_ message: MailMessage) -> (checks: [PreSendCheck], fromDomain: DomainName?) {
        var checks: [PreSendCheck] = []
        let (fromCheck, domain) = checkFrom(message)
        checks.append(fromCheck)
        checks.append(checkDate(message))
        checks.append(checkMessageID(message, fromDomain: domain))
        return (checks, domain)
    }

    // MARK: From

    static func checkFrom(_ message: MailMessage) -> (PreSendCheck, DomainName?) {
        let fields = message.fields(named: "From")
        let rfc = "RFC 5322 §3.6.2; RFC 9989 §4.4"
        func fail(_ summary: String, _ detail: String, evidence: [String] = [], fix: String) -> (PreSendCheck, DomainName?) {
            (PreSendCheck(id: PreSendCheckID.from, status: .fail, summary: summary, detail: detail, evidence: evidence,
                          rfc: rfc, fix: fix), nil)
        }
        guard fields.count == 1 else {
            if fields.isEmpty {
                return fail("The message has no From field", "Every message needs exactly one From (RFC 5322 §3.6); DKIM signs it and DMARC evaluates its domain.",
                            fix: "Add a From field with your address at a domain you sign for, e.g. in Python: msg['From'] = 'Shop <news@example.com>'.")
            }
            return fail("The message has \(fields.count) From fields", "RFC 5322 §3.6 allows exactly one; receivers reject or quarantine messages with several (RFC 9989 §4.4), and a second From is how a forged sender is shown to a reader (RFC 6376 §8.15).",
                        evidence: fields.map { "From:" + unfold($0.valueText) }, fix: "Keep one From field.")
        }
        let value = unfold(fields[0].valueText)
        let mailboxes: [String]
        switch Mailboxes.parse(value) {
        case .failure(let problem):
            return fail("The From field cannot be read: \(problem.message)", "DMARC needs the domain of the one From address; receivers reject a From they cannot parse.",
                        evidence: ["From:" + value], fix: "Write From as `Display Name <user@example.com>` or `user@example.com`.")
        case .success(let list):
            mailboxes = list
        }
        guard mailboxes.count == 1 else {
            return fail("The From field holds \(mailboxes.count) addresses", "A From with several mailboxes has no single Author Domain: DMARC receivers reject or ignore such mail (RFC 9989 §4.4), and Gmail rejects it.",
                        evidence: ["From:" + value], fix: "Put exactly one address in From; use Reply-To or Cc for the others.")
        }
        let address = mailboxes[0]
        guard let at = address.lastIndex(of: "@"), at != address.startIndex else {
            return fail("The From address \(address.debugDescription) has no domain", "DMARC evaluates the domain after the @.",
                        evidence: ["From:" + value], fix: "Use a full address, user@example.com.")
        }
        let domainText = String(address[address.index(after: at)...])
        guard !domainText.hasPrefix("["), let domain = try? DomainName(dnsName: domainText), domain.labels.count >= 2 else {
            return fail("The From domain \(domainText.debugDescription) is not a domain name", "DMARC needs a DNS domain in From; an address literal cannot be authenticated.",
                        evidence: ["From:" + value], fix: "Use an address at a registered domain you control.")
        }
        return (PreSendCheck(id: PreSendCheckID.from, status: .pass, summary: "One From address: \(address)",
                             evidence: ["From:" + value], rfc: rfc), domain)
    }

    // MARK: Date

    static func checkDate(_ message: MailMessage) -> PreSendCheck {
        let fields = message.fields(named: "Date")
        let rfc = "RFC 5322 §3.6.1"
        guard fields.count == 1 else {
            return PreSendCheck(
                id: PreSendCheckID.date, status: .fail,
                summary: fields.isEmpty ? "The message has no Date field" : "The message has \(fields.count) Date fields",
                detail: "RFC 5322 §3.6 requires exactly one Date. Gmail and others reject or junk mail that does not follow RFC 5322.",
                evidence: fields.map { "Date:" + unfold($0.valueText) }, rfc: rfc,
                fix: "Add one Date field when the message is created, e.g. in Python: msg['Date'] = email.utils.formatdate(localtime=True).")
        }
        let value = unfold(fields[0].valueText).trimmingCharacters(in: .whitespaces)
        guard parseDate(value) != nil else {
            return PreSendCheck(
                id: PreSendCheckID.date, status: .warning, summary: "The Date field is not an RFC 5322 date-time",
                detail: "Receivers may treat a malformed date as a spam signal.", evidence: ["Date: " + value], rfc: "RFC 5322 §3.3",
                fix: "Write it as `Tue, 14 Nov 2023 22:13:20 +0000` (Python: email.utils.formatdate(localtime=True)).")
        }
        return PreSendCheck(id: PreSendCheckID.date, status: .pass, summary: "Date: \(value)", rfc: rfc)
    }

    /// RFC 5322 §3.3 `date-time`, day of week and seconds optional, comments removed.
    static func parseDate(_ text: String) -> Date? {
        let cleaned = stripComments(text).split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        for format in ["EEE, d MMM yyyy HH:mm:ss Z", "d MMM yyyy HH:mm:ss Z", "EEE, d MMM yyyy HH:mm Z", "d MMM yyyy HH:mm Z",
                       "EEE, d MMM yyyy HH:mm:ss zzz", "d MMM yyyy HH:mm:ss zzz"] {
            formatter.dateFormat = format
            if let date = formatter.date(from: cleaned) { return date }
        }
        return nil
    }

    // MARK: Message-ID

    static func checkMessageID(_ message: MailMessage, fromDomain: DomainName?) -> PreSendCheck {
        let fields = message.fields(named: "Message-ID")
        let rfc = "RFC 5322 §3.6.4"
        let example = "email.utils.make_msgid(domain='\(fromDomain?.description ?? "example.com")')"
        guard fields.count == 1 else {
            return PreSendCheck(
                id: PreSendCheckID.messageID, status: .fail,
                summary: fields.isEmpty ? "The message has no Message-ID field" : "The message has \(fields.count) Message-ID fields",
                detail: "Gmail rejects messages without a valid Message-ID (550 5.7.1); RFC 5322 allows one.",
                evidence: fields.map { "Message-ID:" + unfold($0.valueText) }, rfc: rfc,
                fix: "Add one Message-ID, e.g. in Python: msg['Message-ID'] = \(example).")
        }
        let value = stripComments(unfold(fields[0].valueText)).trimmingCharacters(in: .whitespaces)
        let inner = value.hasPrefix("<") && value.hasSuffix(">") ? String(value.dropFirst().dropLast()) : nil
        guard let inner, let at = inner.lastIndex(of: "@"), at != inner.startIndex, inner.index(after: at) != inner.endIndex,
              !inner.contains(where: { $0 == " " || $0 == "\t" || $0 == "<" || $0 == ">" })
        else {
            return PreSendCheck(
                id: PreSendCheckID.messageID, status: .fail, summary: "The Message-ID is not <id-left@id-right>",
                detail: "Gmail rejects messages without a valid Message-ID.", evidence: ["Message-ID: " + value], rfc: rfc,
                fix: "Generate it as <unique@your-domain>, e.g. in Python: \(example).")
        }
        return PreSendCheck(id: PreSendCheckID.messageID, status: .pass, summary: "Message-ID: \(value)", rfc: rfc)
    }

    // MARK: Helpers

    /// Removes folding (CRLF before white space, RFC 5322 §2.2.3).
    static func unfold(_ text: String) -> String {
        text.replacingOccurrences(of: "\r\n", with: "").replacingOccurrences(of: "\n", with: "")
    }

    /// Removes RFC 5322 comments `( … )` (nested, with quoted-pairs) outside quoted strings.
    static func stripComments(_ text: String) -> String {
        var out = ""
        var depth = 0
        var quoted = false
        var escaped = false
        for character in text {
            if escaped {
                escaped = false
                if depth == 0 { out.append(character) }
                continue
            }
            switch character {
            case "\\" where quoted || depth > 0:
                escaped = true
                if depth == 0 { out.append(character) }
            case "\"" where depth == 0:
                quoted.toggle()
                out.append(character)
            case "(" where !quoted:
                depth += 1
            case ")" where !quoted && depth > 0:
                depth -= 1
                if depth == 0 { out.append(" ") }
            default:
                if depth == 0 { out.append(character) }
            }
        }
        return out
    }
}

/// The mailboxes of an RFC 5322 `mailbox-list` (§3.4): `a@b`, `Name <a@b>`, `"Q, Name" <a@b>`.
enum Mailboxes {
    struct Problem: Error {
        var message: String
    }

    /// The addr-spec of each mailbox, in order. Groups (`name: …;`) are not mailboxes: From
    /// takes a mailbox-list (RFC 5322 §3.6.2), so a group is a problem.
    static func parse(_ value: String) -> Result<[String], Problem> {
        let text = MessageLint.stripComments(value)
        var parts: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        var angle = false
        for character in text {
            if escaped {
                escaped = false
                current.append(character)
                continue
            }
            switch character {
            case "\\" where quoted:
                escaped = true
            case "\"":
                quoted.toggle()
            case "<" where !quoted:
                if angle { return .failure(Problem(message: "nested <")) }
                angle = true
            case ">" where !quoted:
                if !angle { return .failure(Problem(message: "> without <")) }
                angle = false
            case ":" where !quoted && !angle:
                return .failure(Problem(message: "a group (name: …;) is not allowed in From"))
            case "," where !quoted && !angle:
                parts.append(current)
                current = ""
                continue
            default:
                break
            }
            current.append(character)
        }
        if quoted { return .failure(Problem(message: "unterminated quoted string")) }
        if angle { return .failure(Problem(message: "< without >")) }
        parts.append(current)
        var addresses: [String] = []
        for part in parts {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            if let open = trimmed.lastIndex(of: "<") {
                guard let close = trimmed[open...].firstIndex(of: ">") else { return .failure(Problem(message: "< without >")) }
                let inner = trimmed[trimmed.index(after: open)..<close].trimmingCharacters(in: .whitespaces)
                guard !inner.isEmpty else { return .failure(Problem(message: "empty <> in a mailbox")) }
                addresses.append(Self.bare(inner))
            } else {
                guard !trimmed.contains(where: { $0 == " " || $0 == "\t" }) || trimmed.hasPrefix("\"") else {
                    return .failure(Problem(message: "\(trimmed.debugDescription) is not an address (use Name <user@domain>)"))
                }
                addresses.append(Self.bare(trimmed))
            }
        }
        if addresses.isEmpty { return .failure(Problem(message: "no address")) }
        return .success(addresses)
    }

    /// An addr-spec with a quoted local part's quotes kept, white space around `@` removed.
    static func bare(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@") else { return text }
        return text[..<at].trimmingCharacters(in: .whitespaces) + "@" + text[text.index(after: at)...].trimmingCharacters(in: .whitespaces)
    }
}
