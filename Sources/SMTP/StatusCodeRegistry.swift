/// The generic meanings of enhanced status codes: RFC 3463 §3 and the later registrations in the
/// IANA "Simple Mail Transfer Protocol (SMTP) Enumerated Status Codes" registry (RFC 5248).
public enum StatusCodeRegistry {
    /// RFC 3463 §2: the class.
    public static func classMeaning(_ statusClass: Int) -> String? {
        switch statusClass {
        case 2: "Success"
        case 4: "Persistent transient failure"
        case 5: "Permanent failure"
        default: nil
        }
    }

    /// RFC 3463 §2: the subject.
    public static func subjectMeaning(_ subject: Int) -> String? {
        switch subject {
        case 0: "Other or undefined status"
        case 1: "Addressing status"
        case 2: "Mailbox status"
        case 3: "Mail system status"
        case 4: "Network and routing status"
        case 5: "Mail delivery protocol status"
        case 6: "Message content or media status"
        case 7: "Security or policy status"
        default: nil
        }
    }

    /// RFC 5321 §4.2.1: the first digit of a basic reply code, for replies without an enhanced code.
    public static func replyCodeMeaning(_ code: Int) -> String? {
        switch code / 100 {
        case 2: "Positive completion"
        case 3: "Positive intermediate"
        case 4: "Transient negative completion"
        case 5: "Permanent negative completion"
        default: nil
        }
    }

    /// A registered detail `X.subject.detail`: its meaning and where it is defined.
    public struct Detail: Hashable, Sendable {
        public var subject: Int
        public var detail: Int
        public var meaning: String
        public var source: String
    }

    /// The registered details this table knows.
    public static let details: [Detail] = {
        func d(_ subject: Int, _ detail: Int, _ meaning: String, _ source: String) -> Detail {
            Detail(subject: subject, detail: detail, meaning: meaning, source: source)
        }
        return [
            d(0, 0, "Other undefined status", "RFC 3463 §3.1"),
            d(1, 0, "Other address status", "RFC 3463 §3.2"),
            d(1, 1, "Bad destination mailbox address", "RFC 3463 §3.2"),
            d(1, 2, "Bad destination system address", "RFC 3463 §3.2"),
            d(1, 3, "Bad destination mailbox address syntax", "RFC 3463 §3.2"),
            d(1, 4, "Destination mailbox address ambiguous", "RFC 3463 §3.2"),
            d(1, 5, "Destination address valid", "RFC 3463 §3.2"),
            d(1, 6, "Destination mailbox has moved, no forwarding address", "RFC 3463 §3.2"),
            d(1, 7, "Bad sender's mailbox address syntax", "RFC 3463 §3.2"),
            d(1, 8, "Bad sender's system address", "RFC 3463 §3.2"),
            d(1, 10, "Recipient address has null MX", "RFC 7505"),
            d(2, 0, "Other or undefined mailbox status", "RFC 3463 §3.3"),
            d(2, 1, "Mailbox disabled, not accepting messages", "RFC 3463 §3.3"),
            d(2, 2, "Mailbox full", "RFC 3463 §3.3"),
            d(2, 3, "Message length exceeds administrative limit", "RFC 3463 §3.3"),
            d(2, 4, "Mailing list expansion problem", "RFC 3463 §3.3"),
            d(3, 0, "Other or undefined mail system status", "RFC 3463 §3.4"),
            d(3, 1, "Mail system full", "RFC 3463 §3.4"),
            d(3, 2, "System not accepting network messages", "RFC 3463 §3.4"),
            d(3, 3, "System not capable of selected features", "RFC 3463 §3.4"),
            d(3, 4, "Message too big for system", "RFC 3463 §3.4"),
            d(3, 5, "System incorrectly configured", "RFC 3463 §3.4"),
            d(4, 0, "Other or undefined network or routing status", "RFC 3463 §3.5"),
            d(4, 1, "No answer from host", "RFC 3463 §3.5"),
            d(4, 2, "Bad connection", "RFC 3463 §3.5"),
            d(4, 3, "Directory server failure", "RFC 3463 §3.5"),
            d(4, 4, "Unable to route", "RFC 3463 §3.5"),
            d(4, 5, "Mail system congestion", "RFC 3463 §3.5"),
            d(4, 6, "Routing loop detected", "RFC 3463 §3.5"),
            d(4, 7, "Delivery time expired", "RFC 3463 §3.5"),
            d(5, 0, "Other or undefined protocol status", "RFC 3463 §3.6"),
            d(5, 1, "Invalid command", "RFC 3463 §3.6"),
            d(5, 2, "Syntax error", "RFC 3463 §3.6"),
            d(5, 3, "Too many recipients", "RFC 3463 §3.6"),
            d(5, 4, "Invalid command arguments", "RFC 3463 §3.6"),
            d(5, 5, "Wrong protocol version", "RFC 3463 §3.6"),
            d(5, 6, "Authentication exchange line is too long", "RFC 4954 §6"),
            d(6, 0, "Other or undefined media error", "RFC 3463 §3.7"),
            d(6, 1, "Media not supported", "RFC 3463 §3.7"),
            d(6, 2, "Conversion required and prohibited", "RFC 3463 §3.7"),
            d(6, 3, "Conversion required but not supported", "RFC 3463 §3.7"),
            d(6, 4, "Conversion with loss performed", "RFC 3463 §3.7"),
            d(6, 5, "Conversion failed", "RFC 3463 §3.7"),
            d(7, 0, "Other or undefined security status", "RFC 3463 §3.8"),
            d(7, 1, "Delivery not authorized, message refused", "RFC 3463 §3.8"),
            d(7, 2, "Mailing list expansion prohibited", "RFC 3463 §3.8"),
            d(7, 3, "Security conversion required but not possible", "RFC 3463 §3.8"),
            d(7, 4, "Security features not supported", "RFC 3463 §3.8"),
            d(7, 5, "Cryptographic failure", "RFC 3463 §3.8"),
            d(7, 6, "Cryptographic algorithm not supported", "RFC 3463 §3.8"),
            d(7, 7, "Message integrity failure", "RFC 3463 §3.8"),
            d(7, 8, "Authentication credentials invalid", "RFC 4954 §6"),
            d(7, 9, "Authentication mechanism is too weak", "RFC 4954 §6"),
            d(7, 10, "Encryption needed", "RFC 5248 (IANA registry)"),
            d(7, 11, "Encryption required for requested authentication mechanism", "RFC 4954 §6"),
            d(7, 12, "A password transition is needed", "RFC 4954 §6"),
            d(7, 13, "User account disabled", "RFC 5248 (IANA registry)"),
            d(7, 14, "Trust relationship required", "RFC 5248 (IANA registry)"),
            d(7, 20, "No passing DKIM signature found", "RFC 7372"),
            d(7, 21, "No acceptable DKIM signature found", "RFC 7372"),
            d(7, 22, "No valid author-matched DKIM signature found", "RFC 7372"),
            d(7, 23, "SPF validation failed", "RFC 7372"),
            d(7, 24, "SPF validation error", "RFC 7372"),
            d(7, 25, "Reverse DNS validation failed", "RFC 7372"),
            d(7, 26, "Multiple authentication checks failed", "RFC 7372"),
            d(7, 27, "Sender address has null MX", "RFC 7505"),
            d(7, 29, "ARC validation failure", "RFC 8617"),
            d(7, 30, "REQUIRETLS support required", "RFC 8689"),
        ]
    }()

    /// The registered detail of `code`, or `nil`.
    public static func detail(of code: EnhancedStatusCode) -> Detail? {
        details.first { $0.subject == code.subject && $0.detail == code.detail }
    }

    /// What the registry says about `reply`'s code.
    public static func reading(of reply: SMTPReply) -> StatusCodeReading? {
        guard let code = reply.enhancedCode else {
            return replyCodeMeaning(reply.code).map { StatusCodeReading(statusClass: $0) }
        }
        let detail = detail(of: code)
        return StatusCodeReading(
            statusClass: classMeaning(code.statusClass) ?? "Unknown class \(code.statusClass)",
            subject: subjectMeaning(code.subject) ?? "Unregistered subject \(code.subject)",
            detail: detail?.meaning, detailSource: detail?.source)
    }
}
