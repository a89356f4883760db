import DKIM
import DNSCore
import Foundation

/// What the gate checks: one message as it is about to be handed to an SMTP server.
///
/// ```swift
/// let request = PreSendRequest(
///     message: Array(messageBytes), mailFrom: "bounces@example.com",
///     egressIPs: [IPAddress("192.0.2.25")!], helo: "mail.example.com",
///     signing: [DKIMSigningConfiguration(domain: "example.com", selector: "mail", key: key)])
/// ```
public struct PreSendRequest: Sendable {
    /// The message as it would be sent (RFC 5322), LF or CRLF line endings.
    public var message: [UInt8]
    /// The envelope sender, RFC5321.MailFrom: `user@domain`, or `""` (also `"<>"`) for the null
    /// reverse-path of bounces, which SPF checks as `postmaster@<helo>` (RFC 7208 §2.4).
    public var mailFrom: String
    /// Every address the mail may leave from (the MTA's public IPv4 and IPv6 addresses). SPF and
    /// reverse DNS are checked for each: a message can leave from any of them.
    public var egressIPs: [IPAddress]
    /// The HELO/EHLO name the sending MTA gives (RFC 5321 §4.1.1.1). Required for a null
    /// MAIL FROM; otherwise optional (the HELO check is then skipped).
    public var helo: String?
    /// DKIM signing configurations. Empty: do not sign; check the signatures the message already
    /// carries (`dnsaudit presend --no-sign`).
    public var signing: [DKIMSigningConfiguration]
    /// The time for `t=` and for checking `x=`: injected so signatures are reproducible.
    public var now: Date

    public init(
        message: [UInt8], mailFrom: String, egressIPs: [IPAddress], helo: String? = nil,
        signing: [DKIMSigningConfiguration] = [], now: Date = Date()
    ) {
        self.message = message
        self.mailFrom = mailFrom
        self.egressIPs = egressIPs
        self.helo = helo
        self.signing = signing
        self.now = now
    }

    /// The MAIL FROM without angle brackets; `""` for the null reverse-path.
    var bareMailFrom: String {
        var sender = mailFrom.trimmingCharacters(in: .whitespaces)
        if sender.hasPrefix("<"), sender.hasSuffix(">") { sender = String(sender.dropFirst().dropLast()) }
        return sender
    }

    /// Checks what a caller must get right (as opposed to what the gate reports on).
    ///
    /// - Throws: ``PreSendRequestError`` when there is no egress IP, the MAIL FROM is not
    ///   `local@domain` or null, the HELO name is not a domain name, or the MAIL FROM is null and
    ///   no HELO name is given.
    public func validate() throws(PreSendRequestError) {
        guard !egressIPs.isEmpty else {
            throw PreSendRequestError(.noEgressIP, "give at least one egress IP: the address the mail leaves from")
        }
        let sender = bareMailFrom
        if sender.isEmpty {
            guard helo != nil else {
                throw PreSendRequestError(
                    .nullSenderWithoutHelo,
                    "a null MAIL FROM is checked as postmaster@<HELO name> (RFC 7208 §2.4): give the HELO name")
            }
        } else {
            guard let at = sender.lastIndex(of: "@"), at != sender.startIndex,
                  (try? DomainName(dnsName: sender[sender.index(after: at)...])) != nil
            else {
                throw PreSendRequestError(.invalidMailFrom, "MAIL FROM \(mailFrom.debugDescription) is not local-part@domain")
            }
        }
        if let helo {
            guard let name = try? DomainName(dnsName: helo), name.labels.count >= 2 else {
                throw PreSendRequestError(
                    .invalidHelo, "HELO \(helo.debugDescription) is not a fully qualified domain name (RFC 5321 §4.1.1.1)")
            }
        }
    }
}

/// A request the gate cannot run: a programming or usage error, not a finding.
public struct PreSendRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        case noEgressIP
        case invalidMailFrom
        case invalidHelo
        case nullSenderWithoutHelo
    }

    public var code: Code
    /// What to do.
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
