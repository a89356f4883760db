import DNSCore
import Foundation
import MailAuthCore
import SMTP
import TLS

/// How a client starts TLS on a submission or relay port.
public enum TLSStart: String, Sendable, Hashable, Codable, CaseIterable {
    /// TLS from the first byte, as on port 465 (RFC 8314 §3.3). Python's `SMTP_SSL`,
    /// nodemailer's `secure: true`.
    case implicit
    /// Plain text, then the `STARTTLS` command (RFC 3207), as on 587 and 25. Python's `SMTP` then
    /// `starttls()`, nodemailer's `secure: false`.
    case starttls

    /// The convention for a port: implicit TLS on 465, STARTTLS elsewhere.
    public static func convention(forPort port: UInt16) -> TLSStart { port == 465 ? .implicit : .starttls }
}

/// What a port was found to speak.
public enum PortSpeaks: String, Sendable, Hashable, Codable {
    /// TLS from the first byte (RFC 8314 §3.3).
    case implicitTLS = "implicit-tls"
    /// Plain SMTP offering `STARTTLS` (RFC 3207).
    case starttls
    /// Plain SMTP without `STARTTLS`.
    case plaintext
    /// Nothing usable: no connection, silence, or something other than SMTP.
    case unknown
}

/// One line of a probe's conversation, as a person reads a transcript. Credentials never appear:
/// the AUTH lines that carry them are recorded as `[redacted]`.
public struct TranscriptLine: Sendable, Hashable, Codable {
    public enum Direction: String, Sendable, Hashable, Codable {
        /// Sent by dnsaudit.
        case client
        /// Received from the server.
        case server
        /// What happened between lines: the connection, the TLS handshake, a timeout.
        case event
    }

    public var direction: Direction
    public var text: String

    public init(_ direction: Direction, _ text: String) {
        self.direction = direction
        self.text = text
    }
}

/// What an EHLO reply advertised (RFC 5321 §4.1.1.1): the keywords a sending script depends on.
public struct EHLOCapabilities: Sendable, Hashable, Codable {
    /// The reply's code (250 when the server accepted EHLO).
    public var code: Int
    /// The server's greeting line (its name and text).
    public var greeting: String
    /// Every extension line as sent (`SIZE 35882577`, `AUTH PLAIN LOGIN`).
    public var extensions: [String]
    /// `STARTTLS` (RFC 3207).
    public var startTLS: Bool
    /// The SASL mechanisms of `AUTH` (RFC 4954 §3), upper-cased; empty when AUTH is not offered.
    public var authMechanisms: [String]
    /// `SIZE`'s limit in bytes (RFC 1870); 0 when SIZE is offered without a limit.
    public var size: Int?
    /// `PIPELINING` (RFC 2920).
    public var pipelining: Bool
    /// `8BITMIME` (RFC 6152).
    public var eightBitMIME: Bool
    /// `SMTPUTF8` (RFC 6531).
    public var smtpUTF8: Bool
    /// `REQUIRETLS` (RFC 8689).
    public var requireTLS: Bool

    /// Reads the lines of an EHLO reply (the texts after `250-`/`250 `).
    public init(code: Int, lines: [String]) {
        self.code = code
        greeting = lines.first ?? ""
        extensions = Array(lines.dropFirst())
        var startTLS = false, pipelining = false, eightBitMIME = false, smtpUTF8 = false, requireTLS = false
        var mechanisms: [String] = []
        var size: Int?
        for line in extensions {
            let words = line.split(separator: " ").map { $0.uppercased() }
            guard let keyword = words.first else { continue }
            switch keyword {
            case "STARTTLS": startTLS = true
            case "PIPELINING": pipelining = true
            case "8BITMIME": eightBitMIME = true
            case "SMTPUTF8": smtpUTF8 = true
            case "REQUIRETLS": requireTLS = true
            case "SIZE": size = words.count > 1 ? Int(words[1]) ?? 0 : 0
            default:
                // "AUTH=PLAIN LOGIN" is the pre-RFC 4954 spelling some servers still send beside AUTH.
                guard keyword == "AUTH" || keyword.hasPrefix("AUTH=") else { break }
                let first = keyword.hasPrefix("AUTH=") ? [String(keyword.dropFirst(5))] : []
                for mechanism in first + words.dropFirst() where !mechanism.isEmpty && !mechanisms.contains(mechanism) {
                    mechanisms.append(mechanism)
                }
            }
        }
        self.startTLS = startTLS
        self.pipelining = pipelining
        self.eightBitMIME = eightBitMIME
        self.smtpUTF8 = smtpUTF8
        self.requireTLS = requireTLS
        self.size = size
        authMechanisms = mechanisms
    }
}

/// Whether a server runs commands that were sent in plain text after `STARTTLS` as if they had
/// come through TLS (CVE-2011-0411; RFC 3207 §4.2 says they must be discarded).
public enum InjectionCheck: String, Sendable, Hashable, Codable {
    /// The command sent with `STARTTLS` got no answer inside TLS: it was discarded.
    case notVulnerable = "not-vulnerable"
    /// The server answered, inside TLS, a command sent in plain text with `STARTTLS`.
    case vulnerable
    /// The server answered the command before TLS started, in plain text (it does not
    /// discard pipelined input, but did not carry it into TLS either).
    case answeredInPlaintext = "answered-in-plaintext"
    /// The check could not finish (STARTTLS refused, the handshake failed, the connection closed).
    case inconclusive
}

/// The result of the opt-in AUTH test: one attempt, after TLS verified.
public struct AuthAttempt: Sendable, Hashable, Codable {
    /// The SASL mechanism used.
    public var mechanism: SASLMechanism
    /// The user name tried (the password or token is never recorded).
    public var user: String
    /// The server's final reply; absent when the dialogue broke off before it (see ``failure``).
    public var reply: SMTPReply?
    /// `true` for a 235 reply (RFC 4954 §6).
    public var succeeded: Bool
    /// What broke the AUTH dialogue off (a timeout, a closed connection), when it did.
    public var failure: String?
    /// The reply table's explanation of a failed attempt.
    public var explanation: ReplyExplanation?
}

/// The SASL mechanisms the AUTH test can use.
public enum SASLMechanism: String, Sendable, Hashable, Codable, CaseIterable {
    /// RFC 4616: user and password in one base64 message.
    case plain = "PLAIN"
    /// The draft-murchison-sasl-login mechanism: user, then password, each prompted.
    case login = "LOGIN"
    /// Google's and Microsoft's OAuth 2.0 bearer token mechanism.
    case xoauth2 = "XOAUTH2"
}

/// Everything learned about one port of one host.
public struct SMTPPortProbe: Sendable, Hashable, Codable {
    /// The port probed (the one the user asked for, also when `--connect-to` redirected it).
    public var port: UInt16
    /// The address and port connected to (`127.0.0.1:2525`).
    public var connectedTo: String?
    /// How TLS was started first: `--expect`, else the port's convention.
    public var tried: TLSStart
    /// What the port turned out to speak.
    public var speaks: PortSpeaks
    /// Milliseconds from the SYN to the established connection.
    public var connectMilliseconds: Double?
    /// Milliseconds from the established connection to the complete greeting.
    public var greetingMilliseconds: Double?
    /// The greeting (220 reply), the banner.
    public var banner: SMTPReply?
    /// EHLO's reply in plain text (none on an implicit-TLS port).
    public var ehloBeforeTLS: EHLOCapabilities?
    /// EHLO's reply inside TLS.
    public var ehloAfterTLS: EHLOCapabilities?
    /// The TLS handshake's result.
    public var tls: TLSSession?
    /// The STARTTLS command-injection check (only on STARTTLS ports).
    public var starttlsInjection: InjectionCheck?
    /// The AUTH test, when it ran on this port.
    public var auth: AuthAttempt?
    /// What failed and ended the probe of this port early.
    public var failure: String?
    /// What was found, worst first.
    public var findings: [Finding]
    /// The conversation, credentials redacted.
    public var transcript: [TranscriptLine]

    public init(port: UInt16, tried: TLSStart) {
        self.port = port
        self.tried = tried
        speaks = .unknown
        findings = []
        transcript = []
    }
}

/// One host's probe.
public struct SMTPHostProbe: Sendable, Hashable, Codable {
    /// The host name (or address) probed.
    public var host: String
    /// Its addresses (from DNS, or from `--connect-to`).
    public var addresses: [String]
    /// The MX preference, when the host came from `--mx`.
    public var mxPreference: UInt16?
    /// Each port, in the order probed.
    public var ports: [SMTPPortProbe]
    /// What concerns the host as a whole (its name does not resolve, port 25 is blocked).
    public var findings: [Finding]

    public init(host: String, addresses: [String] = [], mxPreference: UInt16? = nil) {
        self.host = host
        self.addresses = addresses
        self.mxPreference = mxPreference
        ports = []
        findings = []
    }
}

/// The report of `dnsaudit smtp probe`: every host and port, what each speaks and what is wrong.
public struct SMTPProbeReport: Sendable, Hashable, Codable {
    /// The version of this JSON form (docs/report-format.md).
    public var schemaVersion: Int = 1
    /// The domain whose MX hosts were probed (`--mx`).
    public var mxDomain: String?
    /// The hosts, in order (MX preference order for `--mx`).
    public var hosts: [SMTPHostProbe]
    /// Findings about the domain (no MX records).
    public var findings: [Finding]

    public init(mxDomain: String? = nil, hosts: [SMTPHostProbe] = [], findings: [Finding] = []) {
        self.mxDomain = mxDomain
        self.hosts = hosts
        self.findings = findings
    }

    /// Every finding of the report, its hosts and ports.
    public var allFindings: [Finding] {
        findings + hosts.flatMap { $0.findings + $0.ports.flatMap(\.findings) }
    }

    /// The worst severity found, if any.
    public var worstSeverity: Severity? { allFindings.map(\.severity).max() }
}
