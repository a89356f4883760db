/// A mail provider whose replies carry meanings of their own. An open set: an unknown provider is
/// simply absent from an explanation.
public struct MailProvider: RawRepresentable, Hashable, Sendable, Codable {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    /// Gmail and Google Workspace: every reply ends in `gsmtp` (Google Workspace Admin Help,
    /// "Gmail SMTP errors and codes").
    public static let gmail = MailProvider(rawValue: "gmail")
    /// Microsoft 365, Exchange Online and Outlook.com (`*.outlook.com`, `*.protection.outlook.com`).
    public static let microsoft = MailProvider(rawValue: "microsoft")
    /// Yahoo and AOL (`yahoo`, `[TSS04]`-style and `(#AUTH005)`-style tags).
    public static let yahoo = MailProvider(rawValue: "yahoo")
}

/// How a failure behaves if the client simply tries again.
public enum Permanence: String, Hashable, Sendable, Codable {
    /// A 5xx reply or a client configuration mistake: the same attempt fails again until the cause
    /// is fixed (RFC 5321 §4.2.1, "Permanent Negative Completion").
    case hard
    /// A 4xx reply: a later retry can succeed (RFC 5321 §4.2.1, "Transient Negative Completion").
    case soft
}

/// Where a table entry's meaning comes from: an RFC section or a provider's published list.
public struct ReplySource: Hashable, Sendable, Codable {
    /// `RFC 3207 §4`, `Google Workspace Admin Help: Gmail SMTP errors and codes`.
    public var citation: String
    /// The page, where it is known.
    public var url: String?

    public init(_ citation: String, url: String? = nil) {
        self.citation = citation
        self.url = url
    }
}

/// What RFC 3463 and the IANA "Enumerated Status Codes" registry say an enhanced code means,
/// independent of any provider (a provider may use the code for something else).
public struct StatusCodeReading: Hashable, Sendable, Codable {
    /// The class: `Success`, `Persistent transient failure`, `Permanent failure` (RFC 3463 §2).
    public var statusClass: String
    /// The subject, `Security or policy status` (RFC 3463 §2); absent without an enhanced code.
    public var subject: String?
    /// The registered detail, `Multiple authentication checks failed`; absent when not registered.
    public var detail: String?
    /// Where the detail is registered.
    public var detailSource: String?

    public init(statusClass: String, subject: String? = nil, detail: String? = nil, detailSource: String? = nil) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
        self.detailSource = detailSource
    }
}

/// Why a reply (or a client-side error) happened and what to do about it.
public struct ReplyExplanation: Hashable, Sendable, Codable {
    /// How the explanation was found.
    public enum Match: String, Hashable, Sendable, Codable {
        /// A provider's own meaning of this code and text (Gmail, Microsoft, Yahoo).
        case provider
        /// A table entry that holds for any server (`530 5.7.0 Must issue a STARTTLS command first`).
        case generic
        /// Only the RFC 3463 / IANA meaning of the enhanced code.
        case registry
        /// An error raised by the client library itself (Python smtplib/ssl, nodemailer): no reply.
        case client
        /// Nothing in the table: only the class (and subject) read from the code, if any.
        case unknown
    }

    /// The table entry's stable id, `gmail.app-password-required`; `unknown` when none matched.
    public var id: String
    public var match: Match
    /// The reply the explanation is about; absent for client errors and input without a reply.
    public var reply: SMTPReply?
    /// The provider named by a marker in the input (`gsmtp`, `outlook.com`, `[TSS04]`).
    public var provider: MailProvider?
    /// What the reply means, one sentence.
    public var meaning: String
    /// Why it happens.
    public var cause: String
    /// What to do.
    public var fix: String
    /// The dnsaudit command that checks the cause, where one exists (`dnsaudit dmarc DOMAIN`).
    public var command: String?
    /// Whether retrying can help; absent for success and intermediate replies.
    public var permanence: Permanence?
    public var source: ReplySource
    /// The RFC 3463 reading of the reply's code, next to a provider's own meaning.
    public var registry: StatusCodeReading?
    /// The input was longer than ``ReplyClassifier/maxInputBytes``; only its start was read.
    public var truncated: Bool

    public init(
        id: String, match: Match, reply: SMTPReply? = nil, provider: MailProvider? = nil, meaning: String,
        cause: String, fix: String, command: String? = nil, permanence: Permanence?, source: ReplySource,
        registry: StatusCodeReading? = nil, truncated: Bool = false
    ) {
        self.id = id
        self.match = match
        self.reply = reply
        self.provider = provider
        self.meaning = meaning
        self.cause = cause
        self.fix = fix
        self.command = command
        self.permanence = permanence
        self.source = source
        self.registry = registry
        self.truncated = truncated
    }
}
