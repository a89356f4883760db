/// Why a DNS question got no usable answer. This is never "the record does not exist":
/// NXDOMAIN and NODATA are ``DNSResponse`` outcomes, not errors.
///
/// SPF maps any of these to `temperror` (RFC 7208 §2.6.6); the audit marks the check incomplete.
public struct DNSError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The server answered SERVFAIL (RCODE 2).
        case serverFailure
        /// The server answered REFUSED (RCODE 5).
        case refused
        /// Some other error RCODE (FORMERR, NOTIMP, …).
        case otherResponseCode
        /// No answer arrived in time.
        case timeout
        /// The network would not carry the query (unreachable, connection refused, …).
        case network
        /// An answer arrived but could not be parsed, or did not match the question.
        case malformed
        /// A CNAME chain looped or was longer than the resolver follows.
        case cnameLoop
        /// The caller's deadline passed before the answer.
        case deadlineExceeded
        /// The task was cancelled.
        case cancelled
        /// No nameserver is configured.
        case noNameserver
        /// The server referred the question elsewhere instead of answering it (RFC 1034 §4.3.1:
        /// no AA bit, no answer, NS records in the authority section). A referral says nothing
        /// about whether the record exists: the server is not authoritative for the name (a
        /// lame delegation) or is not a recursive resolver.
        case referral
        /// No step of a batch recorded a result for the question. This is a defect of the
        /// resolver, reported as a failure instead of a crash.
        case unanswered
        /// The name lies outside the zone data of an offline check (``OverlayResolver`` with no
        /// resolver behind it), so it was not asked: not checked, never missing.
        case outsideZoneData
    }

    public var kind: Kind
    /// The question that failed.
    public var question: DNSQuestion
    /// The server that failed last (`127.0.0.1:53`), if one was asked.
    public var server: String?
    /// The RCODE, when the failure was an error response.
    public var rcode: ResponseCode?
    /// What happened, for a person.
    public var detail: String

    public init(
        _ kind: Kind, question: DNSQuestion, server: String? = nil, rcode: ResponseCode? = nil, detail: String = ""
    ) {
        self.kind = kind
        self.question = question
        self.server = server
        self.rcode = rcode
        self.detail = detail
    }

    public var description: String {
        let what: String
        switch kind {
        case .serverFailure: what = "server failure (SERVFAIL)"
        case .refused: what = "query refused (REFUSED)"
        case .otherResponseCode: what = "error response \(rcode?.description ?? "?")"
        case .timeout: what = "timed out"
        case .network: what = "network error"
        case .malformed: what = "malformed answer"
        case .cnameLoop: what = "CNAME loop or chain too long"
        case .deadlineExceeded: what = "deadline exceeded"
        case .cancelled: what = "cancelled"
        case .noNameserver: what = "no nameserver configured"
        case .referral: what = "referral instead of an answer"
        case .unanswered: what = "no result recorded"
        case .outsideZoneData: what = "not checked: outside the zone files"
        }
        var text = "DNS \(question): \(what)"
        if let server { text += " from \(server)" }
        if !detail.isEmpty { text += " (\(detail))" }
        return text
    }
}
