import Foundation
import SMTP

/// Whether to keep sending to a bounced address.
public enum BounceKind: String, Sendable, Hashable, Codable {
    /// The address itself is bad (no such user, no such domain): stop sending to it. Retrying or
    /// fixing your own setup will not help.
    case hard
    /// The address is fine; the failure is temporary (mailbox full, greylisting, a timeout) or
    /// caused by the message or the sender (authentication, reputation, content): fix the cause
    /// and the next message can be delivered.
    case soft
}

/// What one bounced recipient's failure means: hard or soft, the RFC 3463 reading of the status,
/// and the reply table's meaning, fix and proving command.
public struct BounceClassification: Sendable, Hashable, Codable {
    public var kind: BounceKind
    /// Why it is hard or soft, one sentence.
    public var kindReason: String
    /// `hard` for a permanent (5.x.x) status, `soft` for a transient one (4.x.x): RFC 3463 §2's
    /// class, which differs from ``kind`` (a `5.7.26` is permanent for this message, yet the
    /// address is good).
    public var permanence: Permanence?
    /// RFC 3463 §2 class, subject and (registered) detail of the status.
    public var statusClass: String?
    public var subject: String?
    public var detail: String?
    /// The shared reply table's explanation (the one `dnsaudit smtp explain` gives): the
    /// provider's meaning, the fix and the dnsaudit command that proves it.
    public var explanation: ReplyExplanation
    /// What to do: the table's fix when it knows the reply (a provider's or a generic entry), else
    /// one for the kind of bounce (a bad address, a full mailbox, a policy refusal).
    public var fix: String
    /// The dnsaudit command that proves the fix, when one does.
    public var command: String?
}

/// Classifies a bounced recipient from its status, reply and diagnostic text.
enum BounceClassifier {
    /// Words of a server that says the address does not exist (as sisimai's `userunknown`,
    /// `hostunknown` and `hasmoved` reasons read them).
    static let addressUnknownWords = [
        "user unknown", "unknown user", "no such user", "no such mailbox", "no such recipient", "user not found",
        "mailbox not found", "recipient not found", "recipnotfound", "does not exist", "doesn't exist",
        "invalid recipient", "invalid mailbox", "unknown recipient", "recipient unknown", "not listed in",
        "no mailbox here", "couldn't be found", "could not be found", "not recognized", "unrouteable address",
        "host not found", "host unknown", "unknown host", "domain not found", "no such domain",
        "name or service not known", "address rejected", "account is unavailable", "no longer available",
        "address unknown", "mailbox unavailable", "bad destination mailbox", "unknown address",
        "user doesn't have", "not a valid mailbox", "no such person", "addressee unknown", "invalid address",
        "unknown local part", "recipient address rejected", "user does not exist", "unknown or illegal alias",
    ]
    /// Words that make a failure soft whatever the code: a full mailbox, size limits, policy and
    /// authentication (the sender can fix those).
    static let softWords = [
        "mailbox full", "mailbox is full", "quota", "disk space", "insufficient", "over the limit", "too large",
        "exceeds", "size limit", "message size", "spam", "blocked", "blacklist", "blocklist", "policy",
        "dmarc", "spf", "dkim", "authenticat", "rate limit", "try again", "temporar", "timed out", "timeout",
        "connection refused", "greylist", "reputation", "relay access denied", "relaying denied", "suspended",
        "disabled", "inactive", "content", "virus", "rejected for policy", "not accepted due to",
    ]
    /// Words of a local delivery program that failed (procmail, a pipe): the mailbox exists.
    static let localDeliveryWords = ["procmail", "mailer error", "couldn't create", "command died", "pipe to"]

    /// A fix for a reply the table does not know, by what the bounce is.
    static func fix(kind: BounceKind, status: EnhancedStatusCode?, permanence: Permanence?) -> (String, String?) {
        if kind == .hard {
            return ("Remove the address from your list, or correct it (a typo in the local part or the domain); sending again fails the same way.", nil)
        }
        switch status?.subject {
        case 2:
            return ("The recipient's mailbox is full or disabled: retry later, or reach the recipient another way.", nil)
        case 7:
            return ("The receiver refused your mail by policy: read its text; check your authentication and reputation (SPF, DKIM, DMARC, reverse DNS).",
                    "dnsaudit DOMAIN; dnsaudit presend --no-sign --mail-from ADDRESS --ip IP < message.eml")
        case 4:
            return ("The receiver could not be reached or routing failed: check its MX records, then retry.", "dnsaudit query DOMAIN MX")
        default:
            return permanence == .soft
                ? ("A temporary failure: the sending server retries; if it keeps failing, read the server's text.", nil)
                : ("Read the server's text: it names the cause; fix that before sending again.", nil)
        }
    }

    static func classify(
        status: EnhancedStatusCode?, replyCode: Int?, diagnostic: String?, remoteMTA: String?, command: String?
    ) -> BounceClassification {
        let text = (diagnostic ?? "").lowercased()
        let statusClass = status?.statusClass ?? replyCode.map { $0 / 100 }
        let permanence: Permanence? = statusClass == 5 ? .hard : statusClass == 4 ? .soft : nil

        let kind: BounceKind
        let reason: String
        let addressCodes: Set<String> = ["1.1", "1.2", "1.3", "1.6", "1.10", "4.4"]
        let subjectDetail = status.map { "\($0.subject).\($0.detail)" }
        let specificSubject = status.map { [3, 6, 7].contains($0.subject) || ($0.subject == 2 && $0.detail != 1) } ?? false
        if let status, status.subject == 1, status.detail == 7 || status.detail == 8 {
            kind = .soft
            reason = "Status x.1.\(status.detail) is about your sender address, not the recipient's: fix the sender and the address can receive mail."
        } else if let word = localDeliveryWords.first(where: text.contains) {
            kind = .soft
            reason = "The receiving host's own delivery program failed (\"\(word)\"): a problem on that server, not a bad address."
        } else if specificSubject, let status {
            kind = .soft
            reason = "Status \(status) is in the subject \"\(StatusCodeRegistry.subjectMeaning(status.subject) ?? "?")\" (RFC 3463), not addressing: the address is fine; fix the cause and send again."
        } else if command == "DATA", !(subjectDetail.map(addressCodes.contains) ?? false) {
            kind = .soft
            reason = "Refused after DATA, once the server had seen the message: a content or policy filter, not the address (the server accepted the recipient first)."
        } else if command == "MAIL" {
            kind = .soft
            reason = "Refused at MAIL FROM, before any recipient was named: the server refused your sender or your server, not the address."
        } else if let word = softWords.first(where: text.contains), !(subjectDetail.map(addressCodes.contains) ?? false) {
            kind = .soft
            reason = "The server's words (\"\(word)\") name a cause other than the address; the address itself is fine."
        } else if let subjectDetail, addressCodes.contains(subjectDetail) {
            kind = .hard
            reason = "Status x.\(subjectDetail) says the address (or its domain) does not exist: stop sending to it."
        } else if let word = addressUnknownWords.first(where: text.contains) {
            kind = .hard
            reason = "The server says the address does not exist (\"\(word)\"): stop sending to it."
        } else {
            kind = .soft
            reason = permanence == .hard
                ? "Permanent for this message, but nothing says the address is bad: fix the cause and send again."
                : "A temporary failure: the reporting server retries, or a later message gets through."
        }

        let reply = SMTPReply(
            code: replyCode ?? (statusClass.map { $0 * 100 + 50 } ?? 550), enhancedCode: status,
            text: diagnostic ?? "")
        var providerHint: MailProvider?
        if let remote = remoteMTA?.lowercased() {
            providerHint = ReplyClassifier.markers.first { $0.1.contains(where: remote.contains) }?.0
        }
        let explanation = ReplyClassifier().explain(reply, provider: providerHint)
        var fix = explanation.fix
        var command = explanation.command
        if explanation.match != .provider && explanation.match != .generic {
            (fix, command) = Self.fix(kind: kind, status: status, permanence: permanence)
        }
        return BounceClassification(
            kind: kind, kindReason: reason, permanence: permanence,
            statusClass: statusClass.flatMap(StatusCodeRegistry.classMeaning),
            subject: status.flatMap { StatusCodeRegistry.subjectMeaning($0.subject) },
            detail: status.flatMap { StatusCodeRegistry.detail(of: $0)?.meaning }, explanation: explanation,
            fix: fix, command: command)
    }
}
