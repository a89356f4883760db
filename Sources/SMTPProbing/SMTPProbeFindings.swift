import Foundation
import MailAuthCore
import SMTP
import TLS

/// The findings of `dnsaudit smtp probe`, one constructor per id (docs/findings.md lists them).
public enum SMTPProbeFindings {
    /// Every id the probe reports.
    public static let ids: [String] = [
        "smtp.host-not-found", "smtp.host-no-address", "smtp.dns-failure", "smtp.mx-none",
        "smtp.connect-refused", "smtp.connect-timeout", "smtp.connect-failed", "smtp.port25-blocked",
        "smtp.greeting-timeout", "smtp.not-smtp", "smtp.reply-too-long", "smtp.connection-closed",
        "smtp.greeting-rejected", "smtp.ehlo-rejected",
        "smtp.implicit-tls-to-starttls-port", "smtp.plaintext-to-implicit-tls-port",
        "smtp.no-starttls", "smtp.starttls-refused", "smtp.tls-handshake-failed", "smtp.old-tls",
        "smtp.certificate-expired", "smtp.certificate-name-mismatch", "smtp.certificate-untrusted",
        "smtp.certificate-expires-soon",
        "smtp.auth-offered-in-plaintext", "smtp.auth-only-after-starttls", "smtp.no-auth",
        "smtp.starttls-injection", "smtp.starttls-injection-plaintext-reply",
        "smtp.auth-accepted", "smtp.auth-rejected", "smtp.auth-not-attempted",
    ]

    static func hostNotFound(_ host: String) -> Finding {
        Finding(
            id: "smtp.host-not-found", severity: .error, title: "\(host) does not exist",
            detail: "DNS says the name \(host) does not exist (NXDOMAIN), so no connection can be made.",
            rfc: "RFC 1035 §4.1.1", fix: "Check the spelling of the server name your script uses (smtp.gmail.com, smtp.office365.com).")
    }

    static func hostNoAddress(_ host: String) -> Finding {
        Finding(
            id: "smtp.host-no-address", severity: .error, title: "\(host) has no address",
            detail: "\(host) exists in DNS but has no A or AAAA record to connect to.", rfc: "RFC 5321 §5.1",
            fix: "Publish an A (and AAAA) record for \(host), or use the name the provider documents.")
    }

    static func dnsFailure(_ host: String, _ error: String) -> Finding {
        Finding(
            id: "smtp.dns-failure", severity: .error, title: "\(host) could not be resolved",
            detail: "The DNS question for \(host) failed: \(error). Nothing is known about the server.",
            evidence: [error], fix: "Check the resolver (--nameserver) and try again.")
    }

    static func mxNone(_ domain: String) -> Finding {
        Finding(
            id: "smtp.mx-none", severity: .error, title: "\(domain) has no MX records",
            detail: "\(domain) publishes no MX records, so there is no mail server to probe (RFC 5321 §5.1 falls back to its A record; the probe does not).",
            rfc: "RFC 5321 §5.1", fix: "Publish MX records for \(domain).")
    }

    static func connectRefused(_ port: UInt16, _ error: StreamError) -> Finding {
        Finding(
            id: "smtp.connect-refused", severity: .error, title: "Port \(port) refuses connections",
            detail: "The host answered the connection attempt with a reset: nothing listens on port \(port).",
            evidence: [error.message],
            fix: port == 465 || port == 587
                ? "Use the port the provider documents (587 with STARTTLS, or 465 with implicit TLS)."
                : "Check the port number and that the mail server runs.")
    }

    static func connectTimeout(_ port: UInt16, _ error: StreamError) -> Finding {
        Finding(
            id: "smtp.connect-timeout", severity: .error, title: "No answer on port \(port)",
            detail: "The connection attempt to port \(port) got no answer before the deadline: a firewall drops it (on this network or the server's), or the host is down.",
            evidence: [error.message], fix: "Try another network, or the other submission port (587 or 465).")
    }

    static func connectFailed(_ port: UInt16, _ error: StreamError) -> Finding {
        Finding(
            id: "smtp.connect-failed", severity: .error, title: "Cannot connect to port \(port)",
            detail: "The connection to port \(port) failed: \(error.message).", evidence: [error.message],
            fix: "Check this machine's network and routes.")
    }

    static func port25Blocked(answering: [UInt16]) -> Finding {
        let ports = answering.map(String.init).joined(separator: " and ")
        return Finding(
            id: "smtp.port25-blocked", severity: .warning, title: "Your network blocks outbound port 25",
            detail: "Port 25 got no answer while port \(ports) of the same host answered: the block is almost certainly on this machine's network (cloud providers such as AWS, Google Cloud and Azure block outbound 25 by default), not a broken server.",
            rfc: "RFC 8314 §3.3",
            fix: "Send through the provider's submission port (587 with STARTTLS or 465 with implicit TLS) and log in; or ask the cloud provider to lift the block.")
    }

    static func greetingTimeout(_ port: UInt16, partial: Bool) -> Finding {
        Finding(
            id: "smtp.greeting-timeout", severity: .error, title: "Port \(port) accepts the connection and says nothing",
            detail: partial
                ? "The server sent part of a line and then nothing before the deadline."
                : "The server accepted the TCP connection but sent no greeting before the deadline, and does not speak TLS either. Clients report this as a timeout (nodemailer: \"Greeting never received\").",
            rfc: "RFC 5321 §4.3.1", fix: "Check the server, or a proxy or firewall between it and this machine that holds the connection.")
    }

    static func notSMTP(_ port: UInt16, _ failure: ConversationFailure) -> Finding {
        Finding(
            id: "smtp.not-smtp", severity: .error, title: "Port \(port) does not speak SMTP",
            detail: failure.summary + ".", evidence: [failure.summary], rfc: "RFC 5321 §4.2",
            fix: "Check the port: another service answers on it.")
    }

    static func replyTooLong(_ port: UInt16, _ failure: ConversationFailure) -> Finding {
        Finding(
            id: "smtp.reply-too-long", severity: .error, title: "Port \(port) sends an endless reply",
            detail: failure.summary + "; the probe stopped reading. RFC 5321 §4.5.3.1.5 allows 512 octets per reply line.",
            rfc: "RFC 5321 §4.5.3.1.5", fix: "Check the server: this is not a mail server's reply.")
    }

    static func connectionClosed(_ port: UInt16, step: String, _ failure: ConversationFailure) -> Finding {
        Finding(
            id: "smtp.connection-closed", severity: .error, title: "Port \(port) closed the connection during \(step)",
            detail: failure.summary + ".", evidence: [failure.summary],
            fix: "Look at the server's log; the server may reject this client's address.")
    }

    static func greetingRejected(_ port: UInt16, _ reply: SMTPReply) -> Finding {
        Finding(
            id: "smtp.greeting-rejected", severity: .error, title: "Port \(port) refuses service: \(reply.code)",
            detail: "The greeting is not 220: the server will not talk to this client (RFC 5321 §3.1, 554).",
            evidence: [reply.line], rfc: "RFC 5321 §3.1", fix: ReplyClassifier().explain(reply).fix)
    }

    static func ehloRejected(_ port: UInt16, _ reply: SMTPReply) -> Finding {
        Finding(
            id: "smtp.ehlo-rejected", severity: .error, title: "Port \(port) rejects EHLO",
            detail: "The server answered EHLO with \(reply.code).", evidence: [reply.line], rfc: "RFC 5321 §4.1.1.1",
            fix: ReplyClassifier().explain(reply).fix)
    }

    static func implicitToStartTLSPort(_ port: UInt16, expected: Bool) -> Finding {
        Finding(
            id: "smtp.implicit-tls-to-starttls-port", severity: expected ? .error : .warning,
            title: expected
                ? "Implicit TLS to port \(port), which expects STARTTLS"
                : "Port \(port) speaks STARTTLS, not implicit TLS",
            detail: "Port \(port) answers in plain text (a 220 greeting) and offers STARTTLS; a client that starts with a TLS handshake fails. Python's SMTP_SSL reports \"[SSL: WRONG_VERSION_NUMBER] wrong version number\", nodemailer with secure: true \"wrong version number\".",
            rfc: "RFC 3207 §4; RFC 8314 §3.3",
            fix: "Connect in plain text and upgrade: Python smtplib.SMTP(host, \(port)) then starttls(); nodemailer secure: false. Or use implicit TLS on port 465.")
    }

    static func plaintextToImplicitPort(_ port: UInt16, expected: Bool) -> Finding {
        Finding(
            id: "smtp.plaintext-to-implicit-tls-port", severity: expected ? .error : .warning,
            title: expected
                ? "Plain text to port \(port), which expects implicit TLS"
                : "Port \(port) speaks implicit TLS, not STARTTLS",
            detail: "Port \(port) sends no greeting in plain text; it waits for a TLS handshake. A plain-text client waits and is cut off: Python's smtplib.SMTP raises SMTPServerDisconnected (\"Connection unexpectedly closed\") or times out, nodemailer with secure: false reports \"Greeting never received\".",
            rfc: "RFC 8314 §3.3",
            fix: "Use implicit TLS on this port: Python smtplib.SMTP_SSL(host, \(port)); nodemailer secure: true. Or use port 587 with STARTTLS.")
    }

    static func noStartTLS(_ port: UInt16) -> Finding {
        Finding(
            id: "smtp.no-starttls", severity: port == 25 ? .warning : .error, title: "Port \(port) does not offer STARTTLS",
            detail: "EHLO's reply has no STARTTLS: mail and passwords on this port travel in clear text.",
            rfc: port == 25 ? "RFC 3207" : "RFC 8314 §3", fix: "Enable STARTTLS on the server (Postfix: smtpd_tls_security_level = may or encrypt).")
    }

    static func startTLSRefused(_ port: UInt16, _ reply: SMTPReply) -> Finding {
        Finding(
            id: "smtp.starttls-refused", severity: .error, title: "Port \(port) refuses STARTTLS",
            detail: "STARTTLS is offered but the server answered \(reply.code).", evidence: [reply.line], rfc: "RFC 3207 §4",
            fix: "Check the server's TLS configuration (certificate and key files).")
    }

    static func handshakeFailed(_ port: UInt16, _ error: StreamError) -> Finding {
        Finding(
            id: "smtp.tls-handshake-failed", severity: .error, title: "The TLS handshake on port \(port) failed",
            detail: "The TLS handshake did not complete: \(error.message).", evidence: [error.message], rfc: "RFC 8446 §4",
            fix: "Check the server's TLS configuration; an old server may support only TLS versions this client refuses.")
    }

    static func oldTLS(_ port: UInt16, _ version: String) -> Finding {
        Finding(
            id: "smtp.old-tls", severity: .warning, title: "Port \(port) negotiates \(version)",
            detail: "TLS 1.0 and 1.1 are deprecated; Microsoft 365 rejects them (421 4.7.66).", rfc: "RFC 8996",
            fix: "Enable TLS 1.2 and 1.3 on the server.")
    }

    static func certificateProblem(_ port: UInt16, _ session: TLSSession, host: String) -> Finding? {
        let verification = session.verification
        guard !verification.verified else { return nil }
        let leaf = session.chain.first
        let evidence = leaf.map { ["subject: \($0.subject)", "SANs: \($0.subjectAlternativeNames.joined(separator: ", "))",
                                   "issuer: \($0.issuer)"] + ($0.notAfter.map { ["notAfter: \(iso($0))"] } ?? []) } ?? []
        switch verification.code {
        case CertificateVerification.Code.certificateExpired:
            return Finding(
                id: "smtp.certificate-expired", severity: .error, title: "The certificate on port \(port) has expired",
                detail: "A certificate in the chain is past its notAfter date; clients that verify (Python's default ssl context, nodemailer) refuse the connection: \"certificate has expired\".",
                evidence: evidence, rfc: "RFC 5280 §4.1.2.5", fix: "Renew the certificate and reload the server.")
        case CertificateVerification.Code.hostnameMismatch, CertificateVerification.Code.ipAddressMismatch:
            return Finding(
                id: "smtp.certificate-name-mismatch", severity: .error, title: "The certificate on port \(port) does not name \(host)",
                detail: "Neither the subjectAltName nor the subject of the certificate matches \(host); Python reports \"Hostname mismatch, certificate is not valid for '\(host)'\".",
                evidence: evidence, rfc: "RFC 6125 §6",
                fix: "Connect to a name the certificate lists, or add \(host) to the certificate.")
        default:
            return Finding(
                id: "smtp.certificate-untrusted", severity: .error, title: "The certificate on port \(port) does not verify",
                detail: "OpenSSL's verdict: \(verification.reason) (X509 error \(verification.code)). Clients that verify refuse the connection.",
                evidence: evidence, rfc: "RFC 5280 §6",
                fix: "Serve the whole chain from a CA that clients trust; for a private CA, give its certificate with --ca-file.")
        }
    }

    static func certificateExpiresSoon(_ port: UInt16, _ notAfter: Date) -> Finding {
        Finding(
            id: "smtp.certificate-expires-soon", severity: .warning, title: "The certificate on port \(port) expires within 14 days",
            detail: "The leaf certificate's notAfter is \(iso(notAfter)).", rfc: "RFC 5280 §4.1.2.5",
            fix: "Renew the certificate now.")
    }

    static func authOfferedInPlaintext(_ port: UInt16, _ mechanisms: [String]) -> Finding {
        Finding(
            id: "smtp.auth-offered-in-plaintext", severity: .warning, title: "Port \(port) offers AUTH before TLS",
            detail: "EHLO in plain text offers AUTH \(mechanisms.joined(separator: " ")): a client that logs in before STARTTLS sends its password in clear text.",
            rfc: "RFC 4954 §4; RFC 8314 §3", fix: "Offer AUTH only after TLS (Postfix: smtpd_tls_auth_only = yes).")
    }

    static func authOnlyAfterStartTLS(_ port: UInt16) -> Finding {
        Finding(
            id: "smtp.auth-only-after-starttls", severity: .info, title: "Port \(port) offers AUTH only after STARTTLS",
            detail: "Correct and common: a script that calls login() before starttls() gets Python's \"SMTP AUTH extension not supported by server\" (nodemailer: \"Missing credentials\" or 530 5.7.0).",
            rfc: "RFC 4954 §4", fix: "In the client, call starttls() (and ehlo()) before login().")
    }

    static func noAuth(_ port: UInt16) -> Finding {
        Finding(
            id: "smtp.no-auth", severity: port == 25 ? .info : .warning, title: "Port \(port) offers no AUTH",
            detail: port == 25
                ? "Port 25 is for server-to-server relay; it accepts mail for its own domains without a login."
                : "EHLO offers no AUTH mechanism, even after TLS: a script cannot log in on this port.",
            rfc: "RFC 4954 §3", fix: port == 25 ? nil : "Submit on the port the provider documents for logins (587 or 465).")
    }

    static func injection(_ port: UInt16) -> Finding {
        Finding(
            id: "smtp.starttls-injection", severity: .error, title: "Port \(port) runs commands injected before STARTTLS",
            detail: "A NOOP sent in the same packet as STARTTLS, in plain text, was answered inside TLS: a man in the middle can inject commands into the encrypted session (CVE-2011-0411).",
            rfc: "RFC 3207 §4.2", fix: "Update the mail server; it must discard input buffered before the TLS handshake.")
    }

    static func injectionPlaintextReply(_ port: UInt16) -> Finding {
        Finding(
            id: "smtp.starttls-injection-plaintext-reply", severity: .warning,
            title: "Port \(port) answers commands pipelined after STARTTLS in plain text",
            detail: "A NOOP sent with STARTTLS was answered before TLS started. It was not carried into TLS, but RFC 3207 §4.2 asks the server to discard it.",
            rfc: "RFC 3207 §4.2", fix: "Update the mail server.")
    }

    static func authAccepted(_ port: UInt16, _ attempt: AuthAttempt) -> Finding {
        Finding(
            id: "smtp.auth-accepted", severity: .info, title: "Login accepted on port \(port) (\(attempt.mechanism.rawValue))",
            detail: "The server accepted \(attempt.user)'s credentials: the script's login works from this machine.",
            evidence: attempt.reply.map { [$0.line] } ?? [], rfc: "RFC 4954 §6")
    }

    static func authRejected(_ port: UInt16, _ attempt: AuthAttempt, reply: SMTPReply) -> Finding {
        let explanation = attempt.explanation
        return Finding(
            id: "smtp.auth-rejected", severity: .error,
            title: "Login rejected on port \(port): \(reply.code)\(reply.enhancedCode.map { " \($0)" } ?? "")",
            detail: explanation.map { "\($0.meaning) \($0.cause)" } ?? "The server rejected the credentials.",
            evidence: [reply.line] + (explanation.map { ["explained as \($0.id) (\($0.source.citation))"] } ?? []),
            rfc: "RFC 4954 §6", fix: explanation?.fix)
    }

    static func authNotAttempted(_ port: UInt16, _ reason: String) -> Finding {
        Finding(
            id: "smtp.auth-not-attempted", severity: .error, title: "The AUTH test did not run on port \(port)",
            detail: reason, rfc: "RFC 4954 §4", fix: nil)
    }

    static func authNotAttemptedOnAnyPort() -> Finding {
        Finding(
            id: "smtp.auth-not-attempted", severity: .error, title: "The AUTH test did not run",
            detail: "No port offered AUTH inside TLS, so no login was tried.", rfc: "RFC 4954 §4",
            fix: "Probe the provider's submission port (587 or 465).")
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
