import Foundation
import MailAuthCore

/// What a received message's headers say about its delivery: the path it took, where the
/// receiving organisation took it in (the trust boundary), what the receiver recorded
/// (Authentication-Results), the same checks as evaluated now by dnsaudit's engines, the ARC
/// chain, and the hints in the headers that put mail in the spam folder.
///
/// Built by ``HeaderAnalyzer``. Its JSON form is documented in docs/report-format.md.
public struct HeaderAnalysis: Sendable, Hashable, Codable {
    /// The JSON layout's version; raised when a key changes meaning.
    public var schemaVersion = 1

    /// The fields a person looks for first.
    public var summary: Summary
    /// The relays, first hop first, with their delays.
    public var received: ReceivedChain
    /// Where the receiving organisation took the message in, and what it saw there.
    public var trustBoundary: TrustBoundary?
    /// Every Authentication-Results field, top first, each marked trusted or not.
    public var authenticationResults: [RecordedResults]
    /// Every ARC-Authentication-Results field, top first.
    public var arcAuthenticationResults: [AuthenticationResults]
    /// The receiver's verdict per method, from the trusted Authentication-Results field.
    public var receiverVerdicts: [ReceiverVerdict]
    /// SPF, DKIM and DMARC as evaluated now, beside the receiver's verdicts.
    public var reevaluation: Reevaluation
    /// The ARC chain (RFC 8617): parsed, and verified when DNS was allowed.
    public var arc: ARCVerification?
    /// Spam-folder hints, differences between the receiver and now, and problems: most severe first.
    public var findings: [Finding]
    /// What could not be read in the input.
    public var problems: [ReadProblem]

    /// From, To, Subject, Message-ID, Date, Return-Path as written.
    public struct Summary: Sendable, Hashable, Codable {
        public var from: [String]
        public var to: String?
        public var subject: String?
        public var messageID: String?
        public var date: String?
        public var returnPath: String?
    }

    /// An Authentication-Results field and whether it is the receiver's own.
    public struct RecordedResults: Sendable, Hashable, Codable {
        public var results: AuthenticationResults
        /// The field's input line.
        public var line: Int
        /// Written by the trusted receiver (its authserv-id), or the topmost field when no
        /// authserv-id is known. Fields below the trust boundary could have been written by anyone.
        public var trusted: Bool
    }

    /// A method's result as the receiver recorded it.
    public struct ReceiverVerdict: Sendable, Hashable, Codable {
        /// `spf`, `dkim`, `dmarc`, `arc`, `compauth`.
        public var method: String
        /// As recorded: `pass`, `fail`, `bestguesspass`, …
        public var result: String
        /// The identity checked: `smtp.mailfrom`, `header.d`/`header.i`, `header.from`.
        public var identity: String?
        /// The receiver's comment or reason, when it gave one.
        public var note: String?
    }

    /// The JSON text, keys sorted, pretty printed.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }
}

/// Where the receiving organisation took the message in: the connecting IP, the HELO name and the
/// MAIL FROM it saw, the facts SPF is evaluated on (RFC 7208 §2).
public struct TrustBoundary: Sendable, Hashable, Codable {
    /// How the boundary was found.
    public enum Source: String, Sendable, Hashable, Codable {
        /// The hop received by the host `--authserv-id` names.
        case authservID = "authserv-id"
        /// The first hop received by one of the recipient domain's MX hosts.
        case mxHost = "mx-host"
        /// The hop received by the host of the topmost Authentication-Results field's authserv-id.
        case topAuthenticationResults = "top-authentication-results"
        /// No hop: `Received-SPF: … client-ip=`.
        case receivedSPF = "received-spf"
        /// No hop: Microsoft's `X-Forefront-Antispam-Report: … CIP:…`.
        case forefrontCIP = "forefront-cip"
    }

    public var source: Source
    /// The receiving host (`by` of the boundary hop), or the authserv-id.
    public var receiver: String?
    /// The boundary hop's number in ``ReceivedChain/hops`` (1 = first relay).
    public var hop: Int?
    /// The connecting client's IP address.
    public var ip: String?
    /// The HELO/EHLO name the client gave.
    public var helo: String?
    /// The envelope sender (`Return-Path`).
    public var mailFrom: String?
    /// Where each of ``ip``, ``helo`` and ``mailFrom`` came from, for a person.
    public var evidence: [String]
}
