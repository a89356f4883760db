/// An enhanced status code pattern: `5.7.9`, or `x.7.28` for any class.
public struct StatusPattern: Hashable, Sendable {
    /// `nil` matches 4 and 5 alike (Gmail sends `421 4.7.28` and `550 5.7.28`).
    public var statusClass: Int?
    public var subject: Int
    public var detail: Int

    /// `x.subject.detail`: any class.
    public static func x(_ subject: Int, _ detail: Int) -> StatusPattern {
        StatusPattern(statusClass: nil, subject: subject, detail: detail)
    }

    /// `class.subject.detail`.
    public static func code(_ statusClass: Int, _ subject: Int, _ detail: Int) -> StatusPattern {
        StatusPattern(statusClass: statusClass, subject: subject, detail: detail)
    }

    func matches(_ code: EnhancedStatusCode) -> Bool {
        code.subject == subject && code.detail == detail && (statusClass.map { $0 == code.statusClass } ?? true)
    }
}

/// One entry of the reply table: which replies it matches and what they mean.
///
/// An entry matches a reply when the enhanced code fits one of ``statusCodes`` (or there are none),
/// the reply code is one of ``replyCodes`` (or there are none), the text contains one of
/// ``keywords`` (or there are none), and, for a provider's entry, the input names that provider
/// (``ReplyClassifier/markers``) or the entry ``standsAlone``. The most specific match wins.
public struct ReplyRule: Hashable, Sendable {
    /// A stable id, `gmail.app-password-required`.
    public var id: String
    /// The provider whose meaning this is; `nil` for a meaning any server gives.
    public var provider: MailProvider?
    public var statusCodes: [StatusPattern]
    public var replyCodes: Set<Int>
    /// Distinctive words of the provider's text, matched case-insensitively; any one suffices.
    public var keywords: [String]
    /// The code and keywords identify the provider's meaning even without a provider marker
    /// (a user often pastes the reply without its `- gsmtp` trailer).
    public var standsAlone: Bool
    public var meaning: String
    public var cause: String
    public var fix: String
    public var command: String?
    public var source: ReplySource

    public init(
        id: String, provider: MailProvider?, statusCodes: [StatusPattern], replyCodes: Set<Int> = [],
        keywords: [String] = [], standsAlone: Bool = false, meaning: String, cause: String, fix: String,
        command: String? = nil, source: ReplySource
    ) {
        self.id = id
        self.provider = provider
        self.statusCodes = statusCodes
        self.replyCodes = replyCodes
        self.keywords = keywords.map { $0.lowercased() }
        self.standsAlone = standsAlone
        self.meaning = meaning
        self.cause = cause
        self.fix = fix
        self.command = command
        self.source = source
    }
}

/// The reply table: provider meanings and provider-independent ones. Facts come from the sources
/// each entry cites; the texts here are dnsaudit's own words.
public enum ReplyTable {
    /// Google Workspace Admin Help, "Gmail SMTP errors and codes".
    static let google = ReplySource(
        "Google Workspace Admin Help: Gmail SMTP errors and codes", url: "https://support.google.com/a/answer/3726730")
    static let googleSenderGuidelines = ReplySource(
        "Google: Email sender guidelines; Gmail SMTP errors and codes", url: "https://support.google.com/a/answer/81126")
    static let microsoftNDR = ReplySource(
        "Microsoft Learn: Email non-delivery reports and SMTP errors in Exchange Online",
        url: "https://learn.microsoft.com/exchange/mail-flow-best-practices/non-delivery-reports-in-exchange-online/non-delivery-reports-in-exchange-online"
    )
    static let microsoftSMTPAuth = ReplySource(
        "Microsoft Learn: Enable or disable authenticated client SMTP submission (SMTP AUTH) in Exchange Online",
        url: "https://learn.microsoft.com/exchange/clients-and-mobile-in-exchange-online/authenticated-client-smtp-submission"
    )
    static let yahooErrors = ReplySource("Yahoo Sender Hub: SMTP error codes", url: "https://senders.yahooinc.com/smtp-error-codes/")

    static let dmarcCommand =
        "dnsaudit DOMAIN; dnsaudit presend --no-sign --mail-from ADDRESS --ip IP < message.eml"

    /// Every entry, provider meanings first.
    public static let rules: [ReplyRule] = gmail + microsoft + yahoo + generic

    // MARK: Gmail / Google Workspace

    static let gmail: [ReplyRule] = [
        ReplyRule(
            id: "gmail.app-password-required", provider: .gmail, statusCodes: [.code(5, 7, 9)], replyCodes: [534],
            keywords: ["application-specific password", "InvalidSecondFactor"], standsAlone: true,
            meaning: "Google refused the password: this account has 2-Step Verification, so programs must use an App Password.",
            cause: "The script logs in with the account's normal password; with 2-Step Verification on, Google accepts only a 16-character App Password over SMTP (or OAuth 2.0).",
            fix: "Create an App Password (myaccount.google.com/apppasswords) and use it in place of the password; keep the user name the full address.",
            source: ReplySource("Google Account Help: Sign in with app passwords; Gmail SMTP errors and codes", url: "https://support.google.com/accounts/answer/185833")),
        ReplyRule(
            id: "gmail.bad-credentials", provider: .gmail, statusCodes: [.code(5, 7, 8)], replyCodes: [535],
            keywords: ["Username and Password not accepted", "BadCredentials"], standsAlone: true,
            meaning: "Google did not accept the user name and password.",
            cause: "A wrong password or user name, or the account's normal password where an App Password is needed (Google no longer offers \"less secure app access\"); in Google Workspace the admin may have switched password sign-in off.",
            fix: "Use the full address as the user name and an App Password (2-Step Verification must be on), or OAuth 2.0 (XOAUTH2); check the Workspace admin allows it.",
            source: google),
        ReplyRule(
            id: "gmail.web-login-required", provider: .gmail, statusCodes: [.code(5, 7, 14)], replyCodes: [534],
            keywords: ["web browser", "answer/78754", "accounts.google.com"], standsAlone: true,
            meaning: "Google blocked the sign-in until someone signs in through a web browser.",
            cause: "Google found the login suspicious (a new location, a server's IP address, or too many failures) and wants the account owner to confirm it.",
            fix: "Sign in to the account in a browser, confirm the activity, then retry with an App Password; from a server, sign in once from that network.",
            source: ReplySource("Google: Gmail SMTP errors and codes; the page the reply links (support.google.com/mail/answer/78754)", url: "https://support.google.com/a/answer/3726730")),
        ReplyRule(
            id: "gmail.too-many-logins", provider: .gmail, statusCodes: [.code(4, 7, 0)], replyCodes: [454],
            keywords: ["too many login attempts"], standsAlone: true,
            meaning: "Google is refusing logins for a while: too many attempts.",
            cause: "The script logs in too often (a new connection per message) or keeps retrying a wrong password.",
            fix: "Wait before retrying, fix the credentials first, and send many messages over one logged-in connection.",
            source: google),
        ReplyRule(
            id: "gmail.daily-limit", provider: .gmail, statusCodes: [.code(5, 4, 5)], replyCodes: [550],
            keywords: ["limit", "quota"], standsAlone: true,
            meaning: "The account (or the SMTP relay) reached Gmail's daily sending limit.",
            cause: "Gmail caps messages and recipients per user per rolling 24 hours; the relay has its own cap. (RFC 3463 X.4.5 means \"mail system congestion\"; Gmail uses 5.4.5 for this limit.)",
            fix: "Wait up to 24 hours; send bulk mail through a sending service or your own server instead of a mailbox account.",
            source: ReplySource("Google: Gmail SMTP errors and codes; Gmail sending limits in Google Workspace", url: "https://support.google.com/a/answer/166852")),
        ReplyRule(
            id: "gmail.rate-limited", provider: .gmail, statusCodes: [.x(7, 28)],
            meaning: "Gmail is limiting or blocking mail because of an unusual rate of unsolicited mail from this IP address or domain.",
            cause: "A sudden volume increase, spam complaints, or poor reputation of the sending IP, DKIM domain or SPF domain.",
            fix: "Slow down and retry 4xx deferrals later; make sure SPF, DKIM and DMARC pass; check Postmaster Tools; send only to people who asked for it.",
            command: "dnsaudit DOMAIN", source: googleSenderGuidelines),
        ReplyRule(
            id: "gmail.ptr", provider: .gmail, statusCodes: [.x(7, 23), .x(7, 25)], keywords: ["PTR", "reverse", "forward DNS"],
            standsAlone: true,
            meaning: "The sending IP address has no PTR record, or the PTR's host name does not resolve back to that IP.",
            cause: "Gmail requires forward-confirmed reverse DNS for every sending IP (IPv4 and IPv6).",
            fix: "Ask whoever owns the IP (your host or ISP) to set a PTR to a host name whose A/AAAA record is the same IP.",
            command: "dnsaudit presend --no-sign --ip IP --mail-from ADDRESS < message.eml  (check presend.ptr)",
            source: googleSenderGuidelines),
        ReplyRule(
            id: "gmail.unauthenticated-dmarc", provider: .gmail, statusCodes: [.x(7, 26)], keywords: ["DMARC"],
            standsAlone: true,
            meaning: "The message failed the From: domain's DMARC policy.",
            cause: "Neither SPF nor DKIM passed for a domain aligned with the From: domain, and that domain publishes p=reject (or quarantine).",
            fix: "Send through servers the domain's SPF record authorizes and sign with DKIM for the From: domain (or a subdomain of it).",
            command: dmarcCommand, source: google),
        ReplyRule(
            id: "gmail.unauthenticated", provider: .gmail, statusCodes: [.x(7, 26)],
            meaning: "Gmail blocked the message because the sender is unauthenticated: neither SPF nor DKIM passed.",
            cause: "Gmail requires every sender to pass SPF or DKIM (bulk senders both, plus DMARC).",
            fix: "Publish SPF that includes the sending IP or service, sign with DKIM, and publish DMARC.",
            command: dmarcCommand, source: googleSenderGuidelines),
        ReplyRule(
            id: "gmail.spf", provider: .gmail, statusCodes: [.x(7, 27)],
            meaning: "SPF did not pass for the sending domain (Gmail's meaning; the IANA registry's X.7.27 is \"sender address has null MX\").",
            cause: "The sending IP is not in the envelope sender domain's SPF record, the record has an error, or it exceeds the 10-lookup limit.",
            fix: "Add the sending IP or the provider's include: to the SPF record of the MAIL FROM domain; keep it under 10 DNS lookups.",
            command: "dnsaudit spf DOMAIN --ip IP --sender ADDRESS", source: google),
        ReplyRule(
            id: "gmail.tls", provider: .gmail, statusCodes: [.x(7, 29)],
            meaning: "The message was not sent over TLS (Gmail's meaning; the IANA registry's X.7.29 is \"ARC validation failure\").",
            cause: "The sending server delivered without STARTTLS; Gmail requires TLS for bulk senders.",
            fix: "Enable opportunistic STARTTLS on the sending server (Postfix: smtp_tls_security_level = may).",
            source: googleSenderGuidelines),
        ReplyRule(
            id: "gmail.dkim", provider: .gmail, statusCodes: [.x(7, 30)],
            meaning: "DKIM did not pass (Gmail's meaning; the IANA registry's X.7.30 is \"REQUIRETLS support required\").",
            cause: "The message is unsigned, the key is not published at SELECTOR._domainkey.DOMAIN, or the message changed after signing.",
            fix: "Sign every message with DKIM for the From: domain and publish the key; check it with dnsaudit dkim verify.",
            command: "dnsaudit DOMAIN --selector SELECTOR; dnsaudit dkim verify < message.eml", source: google),
        ReplyRule(
            id: "gmail.alignment", provider: .gmail, statusCodes: [.x(7, 32)],
            meaning: "The From: domain is not aligned with the domain that passed SPF or DKIM.",
            cause: "SPF or DKIM passed, but for another domain (often the sending service's), so DMARC cannot pass.",
            fix: "Sign DKIM with d= the From: domain (custom DKIM at the service), or use a MAIL FROM in the From: domain.",
            command: dmarcCommand, source: google),
        ReplyRule(
            id: "gmail.no-dmarc", provider: .gmail, statusCodes: [.x(7, 40)],
            meaning: "The sending domain has no DMARC record, which Gmail requires of bulk senders.",
            cause: "No TXT record at _dmarc.DOMAIN (or at its Organizational Domain).",
            fix: "Publish at least \"v=DMARC1; p=none; rua=mailto:…\" at _dmarc.DOMAIN.",
            command: "dnsaudit dmarc DOMAIN", source: googleSenderGuidelines),
    ]

    // MARK: Microsoft 365 / Outlook.com

    static let microsoft: [ReplyRule] = [
        ReplyRule(
            id: "microsoft.smtp-auth-disabled", provider: .microsoft, statusCodes: [.code(5, 7, 139)], standsAlone: true,
            meaning: "Microsoft refused the login: SMTP AUTH with a password is switched off for this tenant or mailbox, or blocked by security defaults.",
            cause: "Exchange Online disables basic (password) SMTP AUTH by default; security defaults and Conditional Access also block it.",
            fix: "Use OAuth 2.0 (XOAUTH2), or have the admin enable SMTP AUTH for this mailbox (and exclude it from security defaults).",
            source: microsoftSMTPAuth),
        ReplyRule(
            id: "microsoft.auth-unsuccessful", provider: .microsoft, statusCodes: [.code(5, 7, 3)], replyCodes: [535],
            keywords: ["authentication unsuccessful"],
            meaning: "Microsoft did not accept the credentials (Microsoft's meaning; RFC 3463 X.7.3 is \"security conversion required but not possible\").",
            cause: "A wrong user name or password, an account that needs MFA (no password login), or SMTP AUTH off for the mailbox.",
            fix: "Check the user name (the full address) and password; with MFA use OAuth 2.0; ask the admin to enable SMTP AUTH.",
            source: microsoftSMTPAuth),
        ReplyRule(
            id: "microsoft.not-authenticated", provider: .microsoft, statusCodes: [.code(5, 7, 57)], standsAlone: true,
            meaning: "The client tried to send without logging in.",
            cause: "The script skipped login() (or it failed silently) before MAIL FROM on smtp.office365.com, which accepts mail only from authenticated clients.",
            fix: "Connect to smtp.office365.com:587, call starttls(), then login(), then send.",
            source: microsoftNDR),
        ReplyRule(
            id: "microsoft.basic-auth-not-supported", provider: .microsoft, statusCodes: [.code(5, 7, 30)],
            keywords: ["basic authentication"], standsAlone: true,
            meaning: "Basic (password) authentication is not supported for client submission.",
            cause: "The tenant or Microsoft turned off basic authentication for SMTP client submission.",
            fix: "Use OAuth 2.0 (XOAUTH2) for SMTP AUTH, or send through Microsoft Graph or a relay connector.",
            source: microsoftSMTPAuth),
        ReplyRule(
            id: "microsoft.legacy-tls", provider: .microsoft, statusCodes: [.code(4, 7, 66)], standsAlone: true,
            meaning: "The client connected with TLS 1.0 or 1.1, which Exchange Online no longer accepts.",
            cause: "An old TLS library or a client configured for TLS 1.0/1.1.",
            fix: "Use TLS 1.2 or later (update the runtime or OpenSSL; do not pin an old ssl version).",
            source: ReplySource("Microsoft Learn: Exchange Online endpoint for legacy TLS clients using SMTP AUTH; NDRs in Exchange Online", url: microsoftNDR.url)),
        ReplyRule(
            id: "microsoft.send-as-denied", provider: .microsoft, statusCodes: [.code(5, 7, 60)], standsAlone: true,
            meaning: "The logged-in mailbox may not send as the From: address.",
            cause: "The From: (or MAIL FROM) address is not the mailbox that logged in and it has no Send As permission for it.",
            fix: "Send From: the address you log in with, or have the admin grant Send As on the other mailbox.",
            source: microsoftNDR),
        ReplyRule(
            id: "microsoft.authentication-level", provider: .microsoft, statusCodes: [.code(5, 7, 515)], standsAlone: true,
            meaning: "Outlook.com rejected the message: the sending domain does not meet its authentication requirements.",
            cause: "High-volume senders to Outlook.com must pass SPF, DKIM and DMARC (with DMARC at least p=none and aligned).",
            fix: "Publish SPF and DKIM for the From: domain and a DMARC record, and make sure one of them aligns.",
            command: dmarcCommand,
            source: ReplySource("Microsoft: Outlook.com requirements for high-volume senders (May 2025); NDRs in Exchange Online", url: microsoftNDR.url)),
        // What bounces from Exchange Online say (issue 16's corpus): the recipient side.
        ReplyRule(
            id: "microsoft.recipient-not-found", provider: .microsoft, statusCodes: [.code(5, 1, 10)], standsAlone: true,
            meaning: "The recipient's address does not exist at the destination (Microsoft's RecipientNotFound; RFC 3463's X.1.10 is a null MX).",
            cause: "A mistyped or deleted address: Exchange Online found no mailbox for it by SMTP address lookup.",
            fix: "Check the address with the recipient and remove it from your list if it is gone; do not retry (a hard bounce).",
            source: microsoftNDR),
        ReplyRule(
            id: "microsoft.recipient-rejected", provider: .microsoft, statusCodes: [.code(5, 4, 1)],
            keywords: ["access denied"], standsAlone: true,
            meaning: "Exchange Online rejected the recipient: the address does not exist in the destination organization (Directory-Based Edge Blocking) or the domain is not one it accepts.",
            cause: "A non-existent address, or a domain whose MX points to Exchange Online without being set up as an accepted domain there.",
            fix: "Check the address; if it is your own domain, add it as an accepted domain in Exchange Online or fix its MX.",
            command: "dnsaudit DOMAIN",
            source: microsoftNDR),
        ReplyRule(
            id: "microsoft.banned-ip", provider: .microsoft, statusCodes: (606...649).map { .code(5, 7, $0) }, standsAlone: true,
            meaning: "Microsoft refused the connection: the sending IP is on its block list (\"Access denied, banned sending IP\").",
            cause: "The sending IP sent spam or has a poor reputation with Microsoft; shared IPs of an email service can be listed for others' mail.",
            fix: "Request delisting at https://sender.office.com, and find what made the IP send unwanted mail; with an email service, ask them.",
            source: microsoftNDR),
    ]

    // MARK: Yahoo / AOL

    static let yahoo: [ReplyRule] = [
        ReplyRule(
            id: "yahoo.bad-auth", provider: .yahoo, statusCodes: [.code(5, 7, 0)], replyCodes: [535], keywords: ["#AUTH005"],
            standsAlone: true,
            meaning: "Yahoo refused the login: too many bad authentication attempts.",
            cause: "A wrong password, or the account password where Yahoo requires an app password for third-party programs.",
            fix: "Generate an app password in Yahoo's Account security settings and use it; wait before retrying.",
            source: ReplySource("Yahoo Help: Generate and manage third-party app passwords; Yahoo SMTP error codes", url: "https://help.yahoo.com/kb/SLN15241.html")),
        ReplyRule(
            id: "yahoo.policy", provider: .yahoo, statusCodes: [.code(5, 7, 9)], replyCodes: [554],
            keywords: ["policy reasons"], standsAlone: true,
            meaning: "Yahoo did not accept the message for policy reasons: it failed authentication (DMARC, SPF or DKIM).",
            cause: "The From: domain's DMARC failed, typically mail with a From: at a domain the sending server is not authorized for.",
            fix: "Authenticate with SPF and DKIM aligned with the From: domain; never send with From: @yahoo.com through other servers.",
            command: dmarcCommand,
            source: ReplySource("Yahoo Help: Error \"554 5.7.9: Message not accepted for policy reasons\"", url: "https://help.yahoo.com/kb/SLN7253.html")),
        ReplyRule(
            id: "yahoo.deferred", provider: .yahoo, statusCodes: [.code(4, 7, 0)], replyCodes: [421], keywords: ["[TSS0", "[TS0"],
            standsAlone: true,
            meaning: "Yahoo temporarily deferred mail from this IP: unexpected volume or user complaints.",
            cause: "A sending pattern that looks like spam, complaints from Yahoo users, or a poor IP or domain reputation.",
            fix: "Let the server retry later; lower the rate, remove unengaged recipients, and check SPF, DKIM and DMARC pass.",
            command: "dnsaudit DOMAIN", source: yahooErrors),
    ]

    // MARK: Any server

    static let generic: [ReplyRule] = [
        ReplyRule(
            id: "starttls-required", provider: nil, statusCodes: [.code(5, 7, 0), .code(5, 7, 10), .code(5, 7, 11)],
            replyCodes: [530, 538], keywords: ["STARTTLS"],
            meaning: "The server requires STARTTLS before this command.",
            cause: "The script logged in or sent on the plain connection of a STARTTLS port (587 or 25) without calling starttls() first.",
            fix: "Python: smtplib.SMTP(host, 587), then starttls(), then login(); or smtplib.SMTP_SSL(host, 465). Node.js: secure: false on 587 (nodemailer upgrades with STARTTLS).",
            source: ReplySource("RFC 3207 §4; RFC 4954 §6", url: "https://www.rfc-editor.org/rfc/rfc3207#section-4")),
        ReplyRule(
            id: "auth-credentials-invalid", provider: nil, statusCodes: [.code(5, 7, 8)], replyCodes: [535],
            meaning: "The server did not accept the credentials.",
            cause: "A wrong user name or password, or an account that requires an app password or OAuth 2.0 instead.",
            fix: "Check the user name (often the full address) and password; for providers with 2-Step Verification use an app password.",
            source: ReplySource("RFC 4954 §6", url: "https://www.rfc-editor.org/rfc/rfc4954#section-6")),
    ]
}
