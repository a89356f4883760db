/// Errors the client library raises itself, before or instead of a server reply: the port/TLS
/// mix-ups of Python's smtplib and ssl, and of Node.js's nodemailer.
public struct ClientErrorRule: Hashable, Sendable {
    public var id: String
    /// Distinctive words of the error, matched case-insensitively; any one suffices.
    public var keywords: [String]
    public var meaning: String
    public var cause: String
    public var fix: String
    public var source: ReplySource

    public init(id: String, keywords: [String], meaning: String, cause: String, fix: String, source: ReplySource) {
        self.id = id
        self.keywords = keywords.map { $0.lowercased() }
        self.meaning = meaning
        self.cause = cause
        self.fix = fix
        self.source = source
    }
}

extension ReplyTable {
    static let rfc8314 = ReplySource(
        "RFC 8314 §3.3 (implicit TLS on 465); RFC 6409 and RFC 3207 (STARTTLS on 587)",
        url: "https://www.rfc-editor.org/rfc/rfc8314#section-3.3")
    static let workingCalls =
        "Python: smtplib.SMTP_SSL(host, 465), or smtplib.SMTP(host, 587) then starttls() before login(); both are correct. Node.js (nodemailer): port 465 with secure: true, or port 587 with secure: false."

    /// The client-side errors, most specific first.
    public static let clientErrors: [ClientErrorRule] = [
        ClientErrorRule(
            id: "client.implicit-tls-to-starttls-port", keywords: ["WRONG_VERSION_NUMBER", "wrong version number"],
            meaning: "The client started TLS at once (implicit TLS) on a port that speaks plain SMTP first and upgrades with STARTTLS.",
            cause: "smtplib.SMTP_SSL (or nodemailer secure: true) to port 587 or 25: the server's plain \"220\" greeting is not a TLS record, so OpenSSL reports a wrong version number.",
            fix: workingCalls, source: rfc8314),
        ClientErrorRule(
            id: "client.plain-to-implicit-tls-port", keywords: ["Greeting never received"],
            meaning: "The client waited for a plain SMTP greeting on a port that expects TLS first (465).",
            cause: "nodemailer with secure: false on port 465: the server waits for a TLS handshake, the client for \"220\", until the timeout.",
            fix: workingCalls, source: rfc8314),
        ClientErrorRule(
            id: "client.auth-before-starttls", keywords: ["SMTP AUTH extension not supported"],
            meaning: "login() was called before starttls(): the server offers AUTH only inside TLS.",
            cause: "smtplib.SMTP(host, 587) then login() without starttls(); submission servers advertise AUTH only after STARTTLS (RFC 4954 §4). On port 25 the server may offer no AUTH at all.",
            fix: "Call server.starttls() (and ehlo() again, which smtplib does for you) before server.login(). " + workingCalls,
            source: ReplySource("RFC 4954 §4; RFC 3207 §4.2", url: "https://www.rfc-editor.org/rfc/rfc3207#section-4.2")),
        ClientErrorRule(
            id: "client.starttls-not-offered", keywords: ["STARTTLS extension not supported"],
            meaning: "starttls() was called, but the server does not offer STARTTLS on this connection.",
            cause: "Either the connection is already TLS (SMTP_SSL on 465, then starttls() again) or the server does not support STARTTLS on this port.",
            fix: "With SMTP_SSL on 465 do not call starttls(); otherwise use port 587. " + workingCalls,
            source: ReplySource("RFC 3207 §4", url: "https://www.rfc-editor.org/rfc/rfc3207#section-4")),
        ClientErrorRule(
            id: "client.plain-to-implicit-tls-port", keywords: ["SMTPServerDisconnected", "Connection unexpectedly closed"],
            meaning: "The server closed the connection before replying; on port 465 this is plain SMTP sent to an implicit-TLS port.",
            cause: "smtplib.SMTP(host, 465): the server waits for a TLS handshake, gets plain text and hangs up. (On other ports: the server dropped the connection, e.g. a firewall or a connection limit.)",
            fix: workingCalls, source: rfc8314),
    ]
}
