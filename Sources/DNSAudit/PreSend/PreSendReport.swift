import Foundation

/// The state of one check.
public enum PreSendCheckStatus: String, Codable, Sendable, Hashable, Comparable {
    /// Nothing to fix.
    case pass
    /// Not applicable to this message (no List-Unsubscribe, no HELO given, …).
    case skipped
    /// Works, but some receivers may treat the message worse; see ``PreSendCheck/fix``.
    case warning
    /// A DNS failure kept the check from finishing (never "record missing").
    case incomplete
    /// The message would not authenticate, or would be rejected.
    case fail

    private var rank: Int {
        switch self {
        case .pass: 0
        case .skipped: 1
        case .warning: 2
        case .incomplete: 3
        case .fail: 4
        }
    }

    public static func < (lhs: PreSendCheckStatus, rhs: PreSendCheckStatus) -> Bool { lhs.rank < rhs.rank }
}

/// One check of the gate, with its evidence and, when it did not pass, what to change.
///
/// ``id`` is stable (`presend.spf`, `presend.dkim.verify`, …; see ``PreSendCheckID``); a check
/// that runs once per egress IP or per signature appears once for each, told apart by ``subject``.
///
/// This is a check's *result*, not a `Finding`: every check of the gate is reported, passed or
/// skipped ones too, and its ``status`` (pass, skipped, warning, incomplete, fail) is what the
/// verdict is made of, where a `Finding` is only ever a problem, weighed by a `Severity`. The
/// fields they share (`id`, `detail`, `evidence`, `rfc`, `fix`) have the same names and meaning.
public struct PreSendCheck: Codable, Sendable, Hashable {
    /// Stable identifier (``PreSendCheckID``).
    public var id: String
    public var status: PreSendCheckStatus
    /// What was checked when the check runs more than once: `192.0.2.25`, `d=example.com s=mail`.
    public var subject: String?
    /// One line, for a person.
    public var summary: String
    /// What exactly happened, and why it matters.
    public var detail: String?
    /// Record texts, DNS answers or header values that show it.
    public var evidence: [String]
    /// The RFC section that says so (`RFC 7208 §4.6.4`).
    public var rfc: String?
    /// What to change; `nil` when the check passed.
    public var fix: String?

    public init(
        id: String, status: PreSendCheckStatus, subject: String? = nil, summary: String, detail: String? = nil,
        evidence: [String] = [], rfc: String? = nil, fix: String? = nil
    ) {
        self.id = id
        self.status = status
        self.subject = subject
        self.summary = summary
        self.detail = detail
        self.evidence = evidence
        self.rfc = rfc
        self.fix = fix
    }
}

/// The stable check identifiers of the gate, in the order the checks run.
public enum PreSendCheckID {
    /// The message parses as RFC 5322 (header fields, then the body).
    public static let message = "presend.message"
    /// Exactly one From field, holding exactly one mailbox with a valid domain (RFC 5322 §3.6.2).
    public static let from = "presend.message.from"
    /// Exactly one Date field (RFC 5322 §3.6.1).
    public static let date = "presend.message.date"
    /// Exactly one Message-ID field, `<id-left@id-right>` (RFC 5322 §3.6.4).
    public static let messageID = "presend.message.message-id"
    /// The From domain is not a free-mail domain the sender cannot sign for.
    public static let freeMail = "presend.from.free-mail"
    /// The message was signed (or, with no signing configuration, carries signatures).
    public static let sign = "presend.dkim.sign"
    /// Each signature verifies against the key published in DNS (RFC 6376 §6).
    public static let dkimVerify = "presend.dkim.verify"
    /// Not every signature is Ed25519 (RFC 8463 §1: not every receiver verifies it).
    public static let ed25519Only = "presend.dkim.ed25519-only"
    /// SPF check_host() with the MAIL FROM identity, once per egress IP (RFC 7208 §2.4).
    public static let spf = "presend.spf"
    /// SPF check_host() with the HELO identity, once per egress IP (RFC 7208 §2.3).
    public static let spfHelo = "presend.spf.helo"
    /// DMARC for the From domain under RFC 9989, once per egress IP.
    public static let dmarc = "presend.dmarc"
    /// DMARC under RFC 7489 (Public Suffix List), shown only when it differs from RFC 9989.
    public static let dmarcRFC7489 = "presend.dmarc.rfc7489"
    /// RFC 8058 one-click unsubscribe, when List-Unsubscribe is present.
    public static let listUnsubscribe = "presend.list-unsubscribe"
    /// Forward-confirmed reverse DNS of each egress IP.
    public static let reverseDNS = "presend.ptr"
}

/// The outcome of ``PreSendValidator/validate(_:)``: a verdict, every check, and — only when the
/// verdict is `pass` — the message to send.
public struct PreSendReport: Codable, Sendable, Hashable {
    /// Will this message authenticate at the receiver? A definite failure outranks an unknown:
    /// when one check fails, the message fails whatever the unanswered DNS questions would have
    /// said, so the verdict is `fail`, not `incomplete`.
    public var verdict: Verdict
    /// Every check that ran, in the order it ran.
    public var checks: [PreSendCheck]
    /// The RFC5322.From domain, when it could be read.
    public var fromDomain: String?
    /// The MAIL FROM given (`""` for the null reverse-path).
    public var mailFrom: String
    /// The HELO name given.
    public var helo: String?
    /// The egress IPs checked.
    public var egressIPs: [String]
    /// The signing time used for `t=` (seconds since 1970).
    public var time: Int64
    /// The message to hand to the MTA: the signed message (or, with no signing configuration, the
    /// input unchanged). `nil` unless ``verdict`` is `.pass`: nothing is half-written. Not part of
    /// the JSON report.
    public var message: [UInt8]?

    enum CodingKeys: String, CodingKey {
        case verdict, checks, fromDomain, mailFrom, helo, egressIPs, time
    }

    public init(
        checks: [PreSendCheck], fromDomain: String?, mailFrom: String, helo: String?, egressIPs: [String], time: Int64,
        message: [UInt8]?
    ) {
        let verdict = Self.verdict(of: checks)
        self.verdict = verdict
        self.checks = checks
        self.fromDomain = fromDomain
        self.mailFrom = mailFrom
        self.helo = helo
        self.egressIPs = egressIPs
        self.time = time
        self.message = verdict == .pass ? message : nil
    }

    /// fail when any check failed; else incomplete when any could not finish; else pass.
    public static func verdict(of checks: [PreSendCheck]) -> Verdict {
        if checks.contains(where: { $0.status == .fail }) { return .fail }
        if checks.contains(where: { $0.status == .incomplete }) { return .incomplete }
        return .pass
    }

    /// The checks that failed.
    public var failures: [PreSendCheck] { checks.filter { $0.status == .fail } }

    /// The checks with status `status`.
    public func checks(_ status: PreSendCheckStatus) -> [PreSendCheck] { checks.filter { $0.status == status } }
}
