/// Why a DNS question got no usable answer. This is never "the record does not exist":
/// NXDOMAIN and NODATA are ``DNSResponse`` outcomes, not errors.
///
/// SPF maps any of these to `temperror` (RFC 7208 §2.6.6); the audit marks the check incomplete.
/// Reports keep it as a value: in JSON it is `{"kind", "name", "type", "detail"}`, where `detail`
/// is the whole ``description``.
public struct DNSError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
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
        var text = "DNS \(question): \(Self.what(kind, rcode: rcode))"
        if let server { text += " from \(server)" }
        if !detail.isEmpty { text += " (\(detail))" }
        return text
    }

    /// The kind of failure in a few words.
    static func what(_ kind: Kind, rcode: ResponseCode?) -> String {
        switch kind {
        case .serverFailure: "server failure (SERVFAIL)"
        case .refused: "query refused (REFUSED)"
        case .otherResponseCode: "error response \(rcode?.description ?? "?")"
        case .timeout: "timed out"
        case .network: "network error"
        case .malformed: "malformed answer"
        case .cnameLoop: "CNAME loop or chain too long"
        case .deadlineExceeded: "deadline exceeded"
        case .cancelled: "cancelled"
        case .noNameserver: "no nameserver configured"
        case .referral: "referral instead of an answer"
        case .unanswered: "no result recorded"
        case .outsideZoneData: "not checked: outside the zone files"
        }
    }
}

extension DNSError {
    private enum CodingKeys: String, CodingKey {
        case kind, name, type, detail
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        try container.encode(question.name, forKey: .name)
        try container.encode(question.type, forKey: .type)
        try container.encode(description, forKey: .detail)
    }

    /// Reads the JSON form back: the server, the detail and (for ``Kind/otherResponseCode``) the
    /// RCODE are read out of the `detail` sentence, the inverse of ``description``. The RCODE
    /// of a SERVFAIL or REFUSED is not in the sentence, so it comes back `nil`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(Kind.self, forKey: .kind)
        let question = DNSQuestion(
            try container.decode(DomainName.self, forKey: .name), try container.decode(RecordType.self, forKey: .type))
        let text = try container.decode(String.self, forKey: .detail)
        guard let error = Self(kind, question: question, describedAs: text) else {
            throw DecodingError.dataCorruptedError(
                forKey: .detail, in: container, debugDescription: "not a \(kind) failure of \(question): \(text)")
        }
        self = error
    }

    /// The error whose ``description`` is `text`, if `text` is one for `kind` and `question`.
    init?(_ kind: Kind, question: DNSQuestion, describedAs text: String) {
        var rest = Substring(text)
        guard rest.hasPrefix("DNS \(question): ") else { return nil }
        rest = rest.dropFirst("DNS \(question): ".count)
        var rcode: ResponseCode?
        if kind == .otherResponseCode {
            guard rest.hasPrefix("error response ") else { return nil }
            rest = rest.dropFirst("error response ".count)
            let end = [rest.firstRange(of: " from ")?.lowerBound, rest.firstRange(of: " (")?.lowerBound].compactMap { $0 }.min()
            let code = rest[..<(end ?? rest.endIndex)]
            rcode = ResponseCode(code)
            guard rcode != nil || code == "?" else { return nil }
            rest = rest[(end ?? rest.endIndex)...]
        } else {
            let what = Self.what(kind, rcode: nil)
            guard rest.hasPrefix(what) else { return nil }
            rest = rest.dropFirst(what.count)
        }
        var server: String?
        if rest.hasPrefix(" from ") {
            rest = rest.dropFirst(" from ".count)
            let end = rest.firstRange(of: " (")?.lowerBound ?? rest.endIndex
            server = String(rest[..<end])
            rest = rest[end...]
        }
        var detail = ""
        if !rest.isEmpty {
            guard rest.hasPrefix(" ("), rest.hasSuffix(")") else { return nil }
            detail = String(rest.dropFirst(2).dropLast())
        }
        self.init(kind, question: question, server: server, rcode: rcode, detail: detail)
    }
}
